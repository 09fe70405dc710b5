"""Predict a sine wave one step ahead with two stacked LSTMCells, trained by L-BFGS (float64)."""
import numpy
import torch
import torch.nn as nn

from tutorial_utils import sync_weights

numpy.random.seed(2)
T, N, FUTURE = 40, 12, 10
offsets = numpy.random.randint(-20, 20, N).reshape(N, 1)
waves = numpy.sin((numpy.arange(T) + offsets) / 5.0).astype("float64")


class Sequence(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.hidden = hidden
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for _ in range(future):          # feed the predictions back in
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


torch.manual_seed(0)
train_input = torch.from_numpy(waves[3:, :-1])
train_target = torch.from_numpy(waves[3:, 1:])
test_input = torch.from_numpy(waves[:3, :-1])
test_target = torch.from_numpy(waves[:3, 1:])
model = Sequence().double()
sync_weights(model, "lstm_cells_lbfgs")
criterion = nn.MSELoss()
optimizer = torch.optim.LBFGS(model.parameters(), lr=0.8, max_iter=6)

for step in range(3):
    def closure():
        optimizer.zero_grad()
        loss = criterion(model(train_input), train_target)
        print(f"  closure loss {loss.item():.8f}")
        loss.backward()
        return loss
    optimizer.step(closure)
    with torch.no_grad():
        prediction = model(test_input, future=FUTURE)
        loss = criterion(prediction[:, :-FUTURE], test_target)
        print(f"step {step} test loss {loss.item():.8f} last future value {prediction[0, -1].item():.6f}")
