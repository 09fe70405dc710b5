"""Part-of-speech tagging with an LSTM over word embeddings, on a handful of invented sentences."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from tutorial_utils import sync_weights

training_data = [
    ("the cat chased a mouse".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("a dog sleeps".split(), ["DET", "NN", "V"]),
    ("the mouse saw the dog".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("dogs chase cats".split(), ["NN", "V", "NN"]),
]
word_to_index = {}
for sentence, _ in training_data:
    for word in sentence:
        word_to_index.setdefault(word, len(word_to_index))
tag_to_index = {"DET": 0, "NN": 1, "V": 2}
index_to_tag = {index: tag for tag, index in tag_to_index.items()}


def prepare_sequence(sequence, to_index):
    return torch.tensor([to_index[item] for item in sequence], dtype=torch.long)


class LSTMTagger(nn.Module):
    def __init__(self, embedding_dim, hidden_dim, vocabulary_size, tagset_size):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocabulary_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim)
        self.hidden_to_tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        tag_space = self.hidden_to_tag(lstm_out.view(len(sentence), -1))
        return F.log_softmax(tag_space, dim=1)


torch.manual_seed(1)
model = LSTMTagger(6, 6, len(word_to_index), len(tag_to_index))
sync_weights(model, "lstm_pos_tagger")
loss_function = nn.NLLLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

with torch.no_grad():
    scores = model(prepare_sequence(training_data[0][0], word_to_index))
    print("before training", " ".join(f"{value:.4f}" for value in scores[0].tolist()))

for epoch in range(60):
    epoch_loss = 0.0
    for sentence, tags in training_data:
        model.zero_grad()
        tag_scores = model(prepare_sequence(sentence, word_to_index))
        loss = loss_function(tag_scores, prepare_sequence(tags, tag_to_index))
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()
    if epoch % 10 == 9:
        print(f"epoch {epoch + 1} loss {epoch_loss:.5f}")

with torch.no_grad():
    scores = model(prepare_sequence("the dog chased a cat".split(), word_to_index))
    print("tags:", " ".join(index_to_tag[i] for i in scores.argmax(dim=1).tolist()))
    print("after training", " ".join(f"{value:.4f}" for value in scores[0].tolist()))
