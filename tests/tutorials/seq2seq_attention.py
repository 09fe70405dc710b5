"""Sequence to sequence with a GRU encoder and an additive-attention GRU decoder.

The made-up task: "translate" a sequence of digits into the sequence of the
digits' successors, reversed.  Batches come from a DataLoader over a
TensorDataset; the decoder is fed the true previous token (teacher forcing).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from tutorial_utils import sync_weights

SOS, EOS = 0, 1
VOCABULARY = 12          # SOS, EOS and the digits 0..9 as tokens 2..11
MAX_LENGTH = 6


def make_pairs(count):
    pairs = []
    for i in range(count):
        length = 3 + i % 3
        digits = [(i * 3 + j * 7) % 10 for j in range(length)]
        target = [(d + 1) % 10 for d in reversed(digits)]
        pairs.append(([d + 2 for d in digits], [d + 2 for d in target]))
    return pairs


def to_padded(tokens):
    return tokens + [EOS] + [EOS] * (MAX_LENGTH - 1 - len(tokens))


pairs = make_pairs(24)
inputs = torch.tensor([to_padded(source) for source, _ in pairs], dtype=torch.long)
targets = torch.tensor([to_padded(target) for _, target in pairs], dtype=torch.long)
loader = DataLoader(TensorDataset(inputs, targets), batch_size=8, shuffle=False)


class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)

    def forward(self, tokens):
        return self.gru(self.embedding(tokens))


class AdditiveAttention(nn.Module):
    """score(q, k) = v . tanh(W q + U k)"""

    def __init__(self, hidden_size):
        super().__init__()
        self.query_layer = nn.Linear(hidden_size, hidden_size)
        self.key_layer = nn.Linear(hidden_size, hidden_size)
        self.energy_layer = nn.Linear(hidden_size, 1)

    def forward(self, query, keys):
        scores = self.energy_layer(torch.tanh(self.query_layer(query) + self.key_layer(keys)))
        weights = F.softmax(scores.squeeze(2).unsqueeze(1), dim=-1)
        return torch.bmm(weights, keys), weights


class AttentionDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size):
        super().__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = AdditiveAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)

    def step(self, token, hidden, encoder_outputs):
        embedded = self.embedding(token)
        query = hidden.permute(1, 0, 2)
        context, weights = self.attention(query, encoder_outputs)
        output, hidden = self.gru(torch.cat((embedded, context), dim=2), hidden)
        return self.out(output), hidden, weights

    def forward(self, encoder_outputs, encoder_hidden, target=None):
        batch_size = encoder_outputs.size(0)
        token = torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS)
        hidden = encoder_hidden
        outputs = []
        for i in range(MAX_LENGTH):
            output, hidden, _ = self.step(token, hidden, encoder_outputs)
            outputs.append(output)
            if target is not None:
                token = target[:, i].unsqueeze(1)          # teacher forcing
            else:
                token = output.argmax(dim=-1).detach()
        return F.log_softmax(torch.cat(outputs, dim=1), dim=-1), hidden


torch.manual_seed(0)
encoder = EncoderRNN(VOCABULARY, 24)
decoder = AttentionDecoderRNN(24, VOCABULARY)
sync_weights(encoder, "seq2seq_encoder")
sync_weights(decoder, "seq2seq_decoder")
encoder_optimizer = torch.optim.Adam(encoder.parameters(), lr=0.01)
decoder_optimizer = torch.optim.Adam(decoder.parameters(), lr=0.01)
criterion = nn.NLLLoss()

for epoch in range(1, 13):
    total = 0.0
    for source, target in loader:
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()
        encoder_outputs, encoder_hidden = encoder(source)
        decoder_outputs, _ = decoder(encoder_outputs, encoder_hidden, target)
        loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)), target.view(-1))
        loss.backward()
        encoder_optimizer.step()
        decoder_optimizer.step()
        total += loss.item()
    if epoch % 3 == 0:
        print(f"epoch {epoch} loss {total / len(loader):.5f}")

with torch.no_grad():
    source = torch.tensor([to_padded([2 + d for d in (3, 1, 4)])])
    encoder_outputs, encoder_hidden = encoder(source)
    decoder_outputs, _ = decoder(encoder_outputs, encoder_hidden)
    tokens = decoder_outputs.argmax(dim=-1)[0].tolist()
    print("decoded:", " ".join(str(t - 2) if t >= 2 else ("<s>" if t == SOS else "</s>") for t in tokens))
    print(f"first-step log-probabilities {decoder_outputs[0, 0, :4].tolist()[0]:.5f}")
