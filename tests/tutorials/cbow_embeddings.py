"""Continuous bag of words: predict a word from the two words on each side of it, learning embeddings."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from tutorial_utils import sync_weights

CONTEXT_SIZE = 2
EMBEDDING_DIM = 10
text = """the river carries small stones down to the sea and the sea grinds the stones into sand
while the wind carries the sand back up the river banks where small plants hold it in place""".split()
vocabulary = sorted(set(text))
word_to_index = {word: i for i, word in enumerate(vocabulary)}
samples = []
for i in range(CONTEXT_SIZE, len(text) - CONTEXT_SIZE):
    context = text[i - CONTEXT_SIZE:i] + text[i + 1:i + 1 + CONTEXT_SIZE]
    samples.append((context, text[i]))


class CBOW(nn.Module):
    def __init__(self, vocabulary_size, embedding_dim):
        super().__init__()
        self.embeddings = nn.Embedding(vocabulary_size, embedding_dim)
        self.hidden = nn.Linear(embedding_dim, 64)
        self.output = nn.Linear(64, vocabulary_size)

    def forward(self, context):
        summed = self.embeddings(context).sum(dim=0).view(1, -1)
        return F.log_softmax(self.output(F.relu(self.hidden(summed))), dim=1)


def context_vector(context):
    return torch.tensor([word_to_index[word] for word in context], dtype=torch.long)


torch.manual_seed(1)
model = CBOW(len(vocabulary), EMBEDDING_DIM)
sync_weights(model, "cbow")
loss_function = nn.NLLLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
for epoch in range(8):
    total_loss = 0.0
    for context, target in samples:
        model.zero_grad()
        log_probs = model(context_vector(context))
        loss = loss_function(log_probs, torch.tensor([word_to_index[target]]))
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
    print(f"epoch {epoch} total loss {total_loss:.4f}")

with torch.no_grad():
    sea, river = model.embeddings(torch.tensor([word_to_index["sea"], word_to_index["river"]]))
    print(f"cosine(sea, river) {F.cosine_similarity(sea, river, dim=0).item():.5f}")
    prediction = model(context_vector(["carries", "small", "down", "to"])).argmax(dim=1).item()
    print("predicted middle word:", vocabulary[prediction])
