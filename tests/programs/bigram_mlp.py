# Bigram counts and a small character MLP in the style of the makemore lectures (parts 1-3):
# counting with an int32 table, normalising, the negative log likelihood, one-hot and
# embedding forward passes, a learning-rate sweep, tanh saturation and a histogram of the
# activations. Written against PyTorch; tests/test_course.py runs it unchanged and with the
# imports swapped for ninjagrad, from the same starting weights (given as numpy arrays, since
# the two libraries' random streams differ), and compares every number it records.
import torch
import torch.nn.functional as F

words = WORDS  # noqa: F821 - given by the test
chars = sorted(set("".join(words)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
V = len(stoi)
record = {}

# --- part 1: counts and the bigram model's loss
N = torch.zeros((V, V), dtype=torch.int32)
xs, ys = [], []
for w in words:
    seq = ["."] + list(w) + ["."]
    for c1, c2 in zip(seq, seq[1:], strict=False):
        N[stoi[c1], stoi[c2]] += 1
        xs.append(stoi[c1])
        ys.append(stoi[c2])
P = (N + 1).float()
P /= P.sum(1, keepdims=True)
xs, ys = torch.tensor(xs), torch.tensor(ys)
num = xs.nelement()
record["counts"] = N.sum().item()
record["bigram_nll"] = -P[xs, ys].log().mean().item()

# --- part 1: the same model as a single linear layer, trained by hand
W = torch.tensor(INIT["W"], requires_grad=True)  # noqa: F821
for k in range(30):
    xenc = F.one_hot(xs, num_classes=V).float()
    counts = (xenc @ W).exp()
    probs = counts / counts.sum(1, keepdims=True)
    loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W**2).mean()
    record[f"onehot_loss_{k}"] = loss.item()
    W.grad = None
    loss.backward()
    W.data += -50 * W.grad

# --- part 2/3: an MLP on three-character contexts, with batch norm
block = 3
X, Y = [], []
for w in words:
    context = [0] * block
    for ch in w + ".":
        X.append(context)
        Y.append(stoi[ch])
        context = context[1:] + [stoi[ch]]
X, Y = torch.tensor(X), torch.tensor(Y)
C = torch.tensor(INIT["C"])  # noqa: F821
W1 = torch.tensor(INIT["W1"]) * (5 / 3) / (3 * C.shape[1]) ** 0.5  # noqa: F821
W2 = torch.tensor(INIT["W2"]) * 0.1  # noqa: F821
b2 = torch.zeros(V)
bngain, bnbias = torch.ones((1, W1.shape[1])), torch.zeros((1, W1.shape[1]))
parameters = [C, W1, W2, b2, bngain, bnbias]
for p in parameters:
    p.requires_grad = True
record["n_parameters"] = sum(p.nelement() for p in parameters)
lre = torch.linspace(-3, 0, 40)
lrs = 10**lre
for i in range(40):
    ix = (torch.arange(32) * 7 + i * 5) % X.shape[0]  # fixed minibatches
    emb = C[X[ix]]
    embcat = torch.cat(torch.unbind(emb, 1), 1)
    hpreact = embcat @ W1
    hpreact = bngain * (hpreact - hpreact.mean(0, keepdim=True)) / hpreact.std(
        0, keepdim=True) + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Y[ix])
    for p in parameters:
        p.grad = None
    loss.backward()
    for p in parameters:
        p.data += -lrs[i].item() * 0.5 * p.grad
    record[f"mlp_loss_{i}"] = loss.item()
    record[f"same_view_{i}"] = torch.allclose(embcat, emb.view(-1, 3 * C.shape[1]))

with torch.no_grad():
    emb = C[X]
    hpreact = emb.view(emb.shape[0], -1) @ W1
    hpreact = bngain * (hpreact - hpreact.mean(0, keepdim=True)) / hpreact.std(
        0, keepdim=True) + bnbias
    h = torch.tanh(hpreact)
    record["saturated"] = (h.abs() > 0.99).float().mean().item()
    hy, hx = torch.histogram(h, 50, density=True)
    record["hist"] = hy.tolist()
    record["hist_edges"] = hx[:-1].tolist()
    xv = hpreact.view(-1, 4, hpreact.shape[1] // 4)
    record["var01"] = xv.var((0, 1), keepdim=True, unbiased=True).sum().item()
    record["dev_loss"] = torch.nn.functional.cross_entropy(h @ W2 + b2, Y).item()
    record["zeros_like"] = torch.zeros_like(h).sum().item()
