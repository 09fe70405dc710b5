"""A small Transformer language model (nn.TransformerEncoder with a causal mask) on a toy corpus."""
import math

import torch
import torch.nn as nn

from tutorial_utils import sync_weights

corpus = ("one two three four five six seven eight nine ten " * 6 + "ten nine eight seven six five four three two one " * 6).split()
vocabulary = sorted(set(corpus))
ids = torch.tensor([vocabulary.index(word) for word in corpus], dtype=torch.long)


def batchify(data, batch_size):
    columns = data.size(0) // batch_size
    return data[:columns * batch_size].view(batch_size, columns).t().contiguous()      # (T, B)


BPTT = 8


def get_batch(source, i):
    length = min(BPTT, len(source) - 1 - i)
    return source[i:i + length], source[i + 1:i + 1 + length].reshape(-1)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=64):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        table = torch.zeros(max_len, 1, d_model)
        table[:, 0, 0::2] = torch.sin(position * div_term)
        table[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("table", table)

    def forward(self, x):
        return x + self.table[:x.size(0)]


class TransformerModel(nn.Module):
    def __init__(self, ntoken, d_model, nhead, d_hid, nlayers):
        super().__init__()
        self.pos_encoder = PositionalEncoding(d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout=0.0)
        self.transformer_encoder = nn.TransformerEncoder(layer, nlayers, enable_nested_tensor=False)
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, ntoken)

    def forward(self, src, src_mask):
        src = self.pos_encoder(self.embedding(src) * math.sqrt(self.d_model))
        return self.linear(self.transformer_encoder(src, src_mask))


torch.manual_seed(0)
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
train_data = batchify(ids, 4).to(device)
model = TransformerModel(len(vocabulary), 16, 2, 32, 2)
sync_weights(model, "transformer_lm")
model = model.to(device)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.9)

for epoch in range(1, 5):
    model.train()
    total_loss, batches = 0.0, 0
    for i in range(0, train_data.size(0) - 1, BPTT):
        data, targets = get_batch(train_data, i)
        mask = nn.Transformer.generate_square_subsequent_mask(data.size(0), device=device)
        output = model(data, mask)
        loss = criterion(output.view(-1, len(vocabulary)), targets)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        total_loss += loss.item()
        batches += 1
    scheduler.step()
    print(f"epoch {epoch} lr {scheduler.get_last_lr()[0]:.4f} loss {total_loss / batches:.5f} "
          f"ppl {math.exp(total_loss / batches):.3f}")

model.eval()
with torch.no_grad():
    data, targets = get_batch(train_data, 0)
    output = model(data, nn.Transformer.generate_square_subsequent_mask(data.size(0), device=device))
    print(f"eval loss {criterion(output.view(-1, len(vocabulary)), targets).item():.5f}")
