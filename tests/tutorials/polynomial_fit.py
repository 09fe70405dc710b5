"""Fit y = sin(x) on [-pi, pi] with a cubic, three ways: raw autograd, nn + manual steps, nn + optim."""
import math

import torch
import torch.nn as nn

from tutorial_utils import sync_weights

torch.manual_seed(0)
x = torch.linspace(-math.pi, math.pi, 500)
y = torch.sin(x)

# 1. tensors and autograd: the four coefficients are leaves that require grad
coefficients = [torch.tensor(value, requires_grad=True) for value in (0.1, -0.2, 0.3, -0.05)]
learning_rate = 2e-6
for step in range(300):
    a, b, c, d = coefficients
    prediction = a + b * x + c * x ** 2 + d * x ** 3
    loss = (prediction - y).pow(2).sum()
    if step % 60 == 59:
        print(f"autograd step {step + 1} loss {loss.item():.4f}")
    loss.backward()
    with torch.no_grad():
        for coefficient in coefficients:
            coefficient -= learning_rate * coefficient.grad
            coefficient.grad = None
print("autograd result", " ".join(f"{c.item():.5f}" for c in coefficients))

# 2. nn: powers of x as features, a Linear layer, manual update through parameters()
powers = torch.tensor([1, 2, 3])
features = x.unsqueeze(-1).pow(powers)                      # (500, 3)
model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
sync_weights(model, "polynomial_nn")
loss_fn = nn.MSELoss(reduction="sum")
for step in range(300):
    loss = loss_fn(model(features), y)
    if step % 60 == 59:
        print(f"nn step {step + 1} loss {loss.item():.4f}")
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter -= learning_rate * parameter.grad
linear = model[0]
print(f"nn result {linear.bias.item():.5f} " + " ".join(f"{w:.5f}" for w in linear.weight[0].tolist()))

# 3. optim: the same model trained with RMSprop
model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
sync_weights(model, "polynomial_optim")
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
for step in range(300):
    loss = loss_fn(model(features), y)
    if step % 60 == 59:
        print(f"optim step {step + 1} loss {loss.item():.4f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"optim result {model[0].bias.item():.5f} " + " ".join(f"{w:.5f}" for w in model[0].weight[0].tolist()))
