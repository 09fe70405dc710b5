"""Generate names one character at a time, conditioned on a made-up language.

At each step a one-layer nn.GRU reads [language one-hot, current letter one-hot]
for one time step, a Linear layer + log_softmax predicts the next letter (or
the end marker), and nn.NLLLoss trains it letter by letter.  Sampling picks the
argmax, so torch and minigrad print the same names.
"""
import string

import torch
import torch.nn as nn
import torch.nn.functional as F

from tutorial_utils import sync_weights

torch.manual_seed(0)
LETTERS = string.ascii_lowercase
END = len(LETTERS)                     # the end-of-name marker, one past the letters
NAMES = {
    "Orlan": ["orla", "orvin", "olan", "orlo", "ovan"],
    "Sesk": ["sekka", "seska", "sisk", "sakka", "sesk"],
    "Tumbu": ["tumba", "tembu", "tumbo", "timbu", "tubu"],
}
LANGUAGES = list(NAMES)


def language_tensor(language):
    tensor = torch.zeros(1, len(LANGUAGES))
    tensor[0, LANGUAGES.index(language)] = 1
    return tensor


def letters_tensor(name):
    tensor = torch.zeros(len(name), 1, len(LETTERS))
    for position, letter in enumerate(name):
        tensor[position, 0, LETTERS.index(letter)] = 1
    return tensor


def next_letters(name):
    return torch.tensor([LETTERS.index(letter) for letter in name[1:]] + [END], dtype=torch.long)


class Generator(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.rnn = nn.GRU(len(LANGUAGES) + len(LETTERS), hidden_size)
        self.to_letter = nn.Linear(hidden_size + len(LETTERS), len(LETTERS) + 1)
        self.dropout = nn.Dropout(0.1)

    def forward(self, language, letter, hidden):
        step_input = torch.cat((language, letter), 1).unsqueeze(0)
        output, hidden = self.rnn(step_input, hidden)
        scores = self.to_letter(torch.cat((output[0], letter), 1))
        return F.log_softmax(self.dropout(scores), dim=1), hidden

    def initial_hidden(self):
        return torch.zeros(1, 1, self.hidden_size)


model = Generator(32)
sync_weights(model, "char_name_generation")
model.eval()                           # no dropout: both runs must see the same network
criterion = nn.NLLLoss()
learning_rate = 0.05


def train_one(language, name):
    language_input, letters, targets = language_tensor(language), letters_tensor(name), next_letters(name)
    hidden = model.initial_hidden()
    model.zero_grad()
    loss = torch.tensor(0.0)
    for position in range(len(name)):
        output, hidden = model(language_input, letters[position], hidden)
        loss = loss + criterion(output, targets[position:position + 1])
    loss.backward()
    for parameter in model.parameters():
        parameter.data.add_(parameter.grad.data, alpha=-learning_rate)
    return loss.item() / len(name)


examples = [(language, name) for i in range(5) for language in LANGUAGES for name in [NAMES[language][i]]]
running = 0.0
for iteration in range(1, 301):
    language, name = examples[iteration % len(examples)]
    running += train_one(language, name)
    if iteration % 50 == 0:
        print(f"iteration {iteration} average loss {running / 50:.5f}")
        running = 0.0


def generate(language, first_letter, max_length=8):
    with torch.no_grad():
        language_input = language_tensor(language)
        letter = letters_tensor(first_letter)[0]
        hidden = model.initial_hidden()
        name = first_letter
        total = 0.0
        for _ in range(max_length):
            output, hidden = model(language_input, letter, hidden)
            log_probability, index = output.topk(1)
            total += log_probability.item()
            index = index[0][0].item()
            if index == END:
                break
            name += LETTERS[index]
            letter = letters_tensor(LETTERS[index])[0]
        return name, total


for language, starts in [("Orlan", "oa"), ("Sesk", "st"), ("Tumbu", "to")]:
    for first in starts:
        name, total = generate(language, first)
        print(f"{language} {first} -> {name} (log-probability {total:.4f})")
