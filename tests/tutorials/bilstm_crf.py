"""Tag made-up sentences with a BiLSTM-CRF: emission scores from a bidirectional nn.LSTM,
a learned tag-transition matrix, the CRF's negative log likelihood (forward algorithm
with torch.logsumexp minus the gold path's score) and Viterbi decoding.

Tags: D (determiner), N (noun), V (verb), plus START/STOP that only appear in transitions.
"""
import torch
import torch.nn as nn

from tutorial_utils import sync_weights

torch.manual_seed(0)
START, STOP = "<start>", "<stop>"
TAGS = ["D", "N", "V", START, STOP]
TAG_INDEX = {tag: i for i, tag in enumerate(TAGS)}

SENTENCES = [
    ("the fox sees a dog", "D N V D N"),
    ("a cat runs", "D N V"),
    ("dogs chase the cat", "N V D N"),
    ("the dog sleeps", "D N V"),
    ("a fox chases cats", "D N V N"),
    ("cats see the fox", "N V D N"),
]
WORDS = sorted({word for sentence, _ in SENTENCES for word in sentence.split()})
WORD_INDEX = {word: i for i, word in enumerate(WORDS)}


def encode(sentence, tags):
    return (torch.tensor([WORD_INDEX[w] for w in sentence.split()], dtype=torch.long),
            torch.tensor([TAG_INDEX[t] for t in tags.split()], dtype=torch.long))


class BiLSTMCRF(nn.Module):
    def __init__(self, vocabulary_size, embedding_dim, hidden_dim):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim // 2, num_layers=1, bidirectional=True)
        self.to_tags = nn.Linear(hidden_dim, len(TAGS))
        # transitions[i, j]: the score of moving from tag j to tag i
        self.transitions = nn.Parameter(torch.randn(len(TAGS), len(TAGS)))
        self.hidden_dim = hidden_dim

    def emissions(self, words):
        embedded = self.embedding(words).view(len(words), 1, -1)
        state = (torch.zeros(2, 1, self.hidden_dim // 2), torch.zeros(2, 1, self.hidden_dim // 2))
        output, _ = self.lstm(embedded, state)
        return self.to_tags(output.view(len(words), self.hidden_dim))

    def allowed_transitions(self):
        # nothing moves into START and nothing leaves STOP
        mask = torch.zeros(len(TAGS), len(TAGS))
        mask[TAG_INDEX[START], :] = -10000.0
        mask[:, TAG_INDEX[STOP]] = -10000.0
        return self.transitions + mask

    def log_partition(self, emissions):
        transitions = self.allowed_transitions()
        alpha = torch.full((len(TAGS),), -10000.0)
        alpha[TAG_INDEX[START]] = 0.0
        for emission in emissions:
            # scores[next, previous] = alpha[previous] + transition(previous -> next) + emission[next]
            scores = alpha.unsqueeze(0) + transitions + emission.unsqueeze(1)
            alpha = torch.logsumexp(scores, dim=1)
        return torch.logsumexp(alpha + transitions[TAG_INDEX[STOP]], dim=0)

    def path_score(self, emissions, tags):
        transitions = self.allowed_transitions()
        previous = torch.cat([torch.tensor([TAG_INDEX[START]], dtype=torch.long), tags])
        score = torch.zeros(())
        for i, emission in enumerate(emissions):
            score = score + transitions[previous[i + 1], previous[i]] + emission[previous[i + 1]]
        return score + transitions[TAG_INDEX[STOP], previous[-1]]

    def neg_log_likelihood(self, words, tags):
        emissions = self.emissions(words)
        return self.log_partition(emissions) - self.path_score(emissions, tags)

    def viterbi(self, emissions):
        transitions = self.allowed_transitions()
        best = torch.full((len(TAGS),), -10000.0)
        best[TAG_INDEX[START]] = 0.0
        backpointers = []
        for emission in emissions:
            scores = best.unsqueeze(0) + transitions        # [next, previous]
            best_scores, best_previous = scores.max(dim=1)
            backpointers.append(best_previous)
            best = best_scores + emission
        final = best + transitions[TAG_INDEX[STOP]]
        last = final.argmax().item()
        path_score = final[last]
        path = [last]
        for pointers in reversed(backpointers[1:]):
            last = pointers[last].item()
            path.append(last)
        return path_score, list(reversed(path))

    def forward(self, words):
        return self.viterbi(self.emissions(words))


model = BiLSTMCRF(len(WORDS), 8, 8)
sync_weights(model, "bilstm_crf")
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, weight_decay=1e-4)
data = [encode(sentence, tags) for sentence, tags in SENTENCES]

with torch.no_grad():
    score, path = model(data[0][0])
    print(f"before training: score {score.item():.4f} tags", " ".join(TAGS[i] for i in path))

for epoch in range(1, 41):
    total = 0.0
    for words, tags in data:
        model.zero_grad()
        loss = model.neg_log_likelihood(words, tags)
        loss.backward()
        optimizer.step()
        total += loss.item()
    if epoch % 8 == 0:
        print(f"epoch {epoch} loss {total / len(data):.5f}")

with torch.no_grad():
    for sentence in ["the fox sees a dog", "cats chase a dog", "a dog sleeps"]:
        words = torch.tensor([WORD_INDEX[w] for w in sentence.split()], dtype=torch.long)
        score, path = model(words)
        print(f"{sentence} -> {' '.join(TAGS[i] for i in path)} (score {score.item():.4f})")
