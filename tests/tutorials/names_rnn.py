"""Which made-up language does a name come from?  A character-level nn.RNN classifier.

Three invented "languages" each build names from their own syllables; a name
is a (length, 1, letters) tensor of one-hot rows, an nn.RNN reads it and a
Linear layer + LogSoftmax scores the languages from the last hidden state.
"""
import string

import torch
import torch.nn as nn

from tutorial_utils import sync_weights

torch.manual_seed(0)
LETTERS = string.ascii_lowercase
SYLLABLES = {"Avar": ["ka", "ro", "tu", "mi"], "Belen": ["sha", "el", "ine", "or"], "Cumo": ["zz", "ux", "py", "qo"]}
LANGUAGES = list(SYLLABLES)


def make_names(language, count):
    parts = SYLLABLES[language]
    return ["".join(parts[(i * 7 + j * 3) % len(parts)] for j in range(2 + i % 3)) for i in range(count)]


def name_to_tensor(name):
    tensor = torch.zeros(len(name), 1, len(LETTERS))
    for position, letter in enumerate(name):
        tensor[position][0][LETTERS.index(letter)] = 1
    return tensor


class NameClassifier(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size)
        self.to_language = nn.Linear(hidden_size, output_size)
        self.log_softmax = nn.LogSoftmax(dim=1)

    def forward(self, line):
        _, hidden = self.rnn(line)
        return self.log_softmax(self.to_language(hidden[0]))


examples = [(name, language) for language in LANGUAGES for name in make_names(language, 8)]
examples = [examples[(i * 5) % len(examples)] for i in range(len(examples))]      # interleave languages
model = NameClassifier(len(LETTERS), 32, len(LANGUAGES))
sync_weights(model, "names_rnn")
criterion = nn.NLLLoss()
learning_rate = 0.01


def train_one(line_tensor, category_tensor):
    model.zero_grad()
    output = model(line_tensor)
    loss = criterion(output, category_tensor)
    loss.backward()
    for parameter in model.parameters():        # plain SGD, written out
        parameter.data.add_(parameter.grad.data, alpha=-learning_rate)
    return output, loss.item()


running = 0.0
for iteration in range(1, 241):
    name, language = examples[iteration % len(examples)]
    output, loss = train_one(name_to_tensor(name), torch.tensor([LANGUAGES.index(language)]))
    running += loss
    if iteration % 40 == 0:
        print(f"iteration {iteration} average loss {running / 40:.5f}")
        running = 0.0

with torch.no_grad():
    for name in ["karomi", "shael", "zzuxpy", "tumi"]:
        scores = model(name_to_tensor(name))
        value, index = scores.topk(1)
        print(f"{name} -> {LANGUAGES[index[0][0].item()]} ({value.item():.4f})")
