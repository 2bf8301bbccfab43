"""Train a one-block Transformer to tell acceptable English sentences from scrambled ones.

    python transformer.py                          # the default task, 100 epochs
    python transformer.py --data in_domain_train.tsv   # CoLA, the original experiment
    python transformer.py --quick                  # a small slice, in seconds (used by the tests)

Data: with ``--data FILE``, a CoLA ``in_domain_train.tsv`` (tab-separated: source, label,
original label, sentence). The default is an acceptability task built from Debian's ``fortunes``
package (/usr/share/games/fortunes): the sentences of 4-20 plain words of its fortune files,
deduplicated and shuffled with ``--seed``; about 30% of them (CoLA's share of unacceptable
sentences) have their word order scrambled and are labelled unacceptable, the others are kept as
they are and labelled acceptable. Words are lower-cased without punctuation, the vocabulary is
built from the sentences (index 0 pads) and every sentence is padded to the longest one.
Stratified 80/20 split. ``--sentences`` takes a seeded sample of that many sentences.

Model: Embedding(vocab, 512, padding_idx=0) plus a fixed sinusoidal positional encoding (a
Parameter that does not require grad); one block of 4-head self-attention (bias-free Q, K, V, O
projections, scores / sqrt(128), -inf added on the padded keys, softmax over the keys), residual
and LayerNorm, feed-forward 512-1536-512 with ReLU, residual and LayerNorm; the first token's
vector goes to Linear(512, 1). Loss: mean of w * log(1 + exp(-label * output)) with labels +-1
and class weights 1/ratio (acceptable) and 1/(1 - ratio) (unacceptable), ratio being the
acceptable share of the training set; Adam(lr=5e-4), batches of 128 (512 for evaluation);
prediction sign(output). Each epoch reports the training and test accuracy (eval mode, no_grad);
the accuracy curves are saved as a PNG when matplotlib is installed.

Size of the default run: a training step (batch 128, 20 tokens) is about 40 GFLOP, nearly all
in the six Linear products, so on this 2-core machine it takes about 1.3 s on gradswift and
2.0 s on PyDyNet 1.1 (measured while other jobs shared the cores; evaluating 512 sentences takes
about 1.5 s on both). The default ``--sentences 500`` (400 training sentences, 4 steps an epoch,
100 test sentences) ran in 12.7 minutes on gradswift (5.3 s of training an epoch, with the
machine's load between 4 and 7); PyDyNet should take about 1.5 times as long. The whole corpus
(about 19800 sentences) would take about 4 minutes an epoch. With so few sentences the model
learns its training set (100%) and stays below the majority rate (70%) on the test set (62%).

Runs unchanged with ``import pydynet as pdn`` (``--quick`` then also works on PyDyNet). Two
PyDyNet 1.1 behaviours change its results: its Embedding leaves the table uninitialised (this
script calls ``reset_parameters()``, which draws N(0, 1) on both), and its LayerNorm normalizes
over the batch axes with running statistics in eval mode, where gradswift's normalizes each token
over its 512 features (PyTorch's LayerNorm).
"""
import argparse
import csv
import math
import os
import re
import time

import numpy as np

import gradswift as pdn
import gradswift.nn as nn
import gradswift.nn.functional as F
from gradswift.data import data_loader
from gradswift.optim import Adam

from common import output_path, progress_bar, require_loss_fell, save_line_plots, write_results

DEFAULT_DATA = "/usr/share/games/fortunes"
DEFAULT_SENTENCES = 500
WIDTH, HEADS, HIDDEN = 512, 4, 1536

_OVERSTRIKE = re.compile(".\x08")  # "_\bx" underlines and bold in a few fortune files
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_PLAIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
_PUNCTUATION = ".,;:!?\"'()[]{}-*_`"


def plain_words(sentence):
    """The sentence's words lower-cased with surrounding punctuation stripped, or None when one
    of them is not a plain word (digits, symbols, code...)."""
    words = [token.strip(_PUNCTUATION) for token in sentence.lower().split()]
    words = [w for w in words if w]
    return words if words and all(_PLAIN_WORD.fullmatch(w) for w in words) else None


def fortune_sentences(directory, min_words=4, max_words=20):
    """The distinct sentences of ``min_words``-``max_words`` plain words in the fortune files of
    ``directory`` (lower-cased, punctuation stripped, words joined by one space), sorted."""
    names = sorted(name for name in os.listdir(directory)
                   if not name.endswith((".dat", ".u8")) and os.path.isfile(os.path.join(directory, name)))
    if not names:
        raise FileNotFoundError(f"no fortune files in {directory}")
    sentences = set()
    for name in names:
        with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as f:
            text = _OVERSTRIKE.sub("", f.read())
        for entry in re.split(r"^%\s*$", text, flags=re.M):
            lines = [line for line in entry.splitlines() if not line.strip().startswith(("--", "\u2014"))]
            for sentence in _SENTENCE_END.split(" ".join(" ".join(lines).split())):
                words = plain_words(sentence)
                if words and min_words <= len(words) <= max_words:
                    sentences.add(" ".join(words))
    return sorted(sentences)


def build_fortunes_task(directory, seed, sentences=None, max_words=20, corrupt_fraction=0.3):
    """The acceptability task from the fortune corpus: (list of word lists, labels +1/-1).

    The sorted distinct sentences are shuffled with ``seed`` and the first ``sentences`` kept
    (all when None); ``corrupt_fraction`` of them, chosen with the same generator among those with
    two distinct words or more, get a random word order different from the original (label -1);
    the rest keep theirs (label +1). The same arguments always give the same task.
    """
    rng = np.random.RandomState(seed)
    pool = fortune_sentences(directory, max_words=max_words)
    pool = [pool[i] for i in rng.permutation(len(pool))][:sentences]
    texts = [s.split() for s in pool]
    labels = np.ones(len(texts), dtype=np.float32)
    eligible = [i for i, words in enumerate(texts) if len(set(words)) > 1]
    for i in rng.permutation(eligible)[:round(corrupt_fraction * len(texts))]:
        original = texts[i]
        scrambled = original
        while scrambled == original:
            scrambled = [original[j] for j in rng.permutation(len(original))]
        texts[i], labels[i] = scrambled, -1.
    return texts, labels


def load_cola(path, seed, sentences=None):
    """CoLA's TSV as (list of word lists, labels +1 acceptable / -1 unacceptable); with
    ``sentences``, a sample of that many drawn with ``seed``."""
    texts, labels = [], []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) < 4 or row[1] not in ("0", "1"):
                continue
            words = [w for w in (t.strip(_PUNCTUATION) for t in row[3].lower().split()) if w]
            if words:
                texts.append(words)
                labels.append(1. if row[1] == "1" else -1.)
    if not texts:
        raise ValueError(f"{path}: no CoLA rows (source, label, original label, sentence)")
    keep = np.random.RandomState(seed).permutation(len(texts))[:sentences] if sentences else np.arange(len(texts))
    return [texts[i] for i in keep], np.array(labels, dtype=np.float32)[keep]


def encode(texts):
    """Word indices padded with 0 to the longest sentence, as int64 (N, length), and the
    vocabulary (word -> index, from 1, in sorted order)."""
    vocabulary = {word: i + 1 for i, word in enumerate(sorted({w for words in texts for w in words}))}
    tokens = np.zeros((len(texts), max(len(words) for words in texts)), dtype=np.int64)
    for row, words in enumerate(texts):
        tokens[row, :len(words)] = [vocabulary[w] for w in words]
    return tokens, vocabulary


def sinusoidal_positions(length, width):
    """The fixed encoding: sin(p / 10000^(2i/width)) in even features, cos in odd ones."""
    position = np.arange(length)[:, None]
    frequency = np.exp(-math.log(10000.) * np.arange(0, width, 2) / width)
    table = np.zeros((length, width))
    table[:, 0::2] = np.sin(position * frequency)
    table[:, 1::2] = np.cos(position * frequency)
    return table.astype(np.float32)


class SelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention with bias-free projections."""

    def __init__(self, width, heads, dtype=np.float32):
        super().__init__()
        self.heads, self.head_width = heads, width // heads
        self.query = nn.Linear(width, width, bias=False, dtype=dtype)
        self.key = nn.Linear(width, width, bias=False, dtype=dtype)
        self.value = nn.Linear(width, width, bias=False, dtype=dtype)
        self.out = nn.Linear(width, width, bias=False, dtype=dtype)

    def split_heads(self, x, n, length):
        """(n * length, width) -> (n, heads, length, head_width)."""
        return x.reshape(n, length, self.heads, self.head_width).transpose(0, 2, 1, 3)

    def forward(self, x, n, length, key_mask):
        """``x`` holds the n sentences' token vectors as rows (n * length, width); ``key_mask``
        (n, 1, 1, length) is 0 on words and -inf on padding. Returns rows like ``x``.

        -inf (rather than a large negative number) is safe: every sentence starts with a word, so
        no row of scores is all -inf, both frameworks' softmax subtract the row maximum, and the
        padded keys get a weight of exactly 0 and a zero gradient."""
        q = self.split_heads(self.query(x), n, length)
        k = self.split_heads(self.key(x), n, length)
        v = self.split_heads(self.value(x), n, length)
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(self.head_width) + key_mask
        attended = F.softmax(scores, axis=-1) @ v
        return self.out(attended.transpose(0, 2, 1, 3).reshape(n * length, -1))


class Transformer(nn.Module):
    """Embedding + positions, one attention block, and a linear head on the first token.

    Inside the block the token vectors are rows of one (n * length, 512) matrix, so every Linear
    is a single matrix product. (On a 3-D input PyDyNet 1.1 takes NumPy's batched matmul and
    builds an (n, 512, 512) weight gradient before summing it: its training step was 12 times
    slower that way.)
    """

    def __init__(self, vocabulary_size, length, dtype=np.float32):
        super().__init__()
        self.dtype = dtype
        self.embedding = nn.Embedding(vocabulary_size, WIDTH, padding_idx=0, dtype=dtype)
        self.embedding.reset_parameters()  # PyDyNet 1.1 leaves the table uninitialised
        self.positions = nn.Parameter(pdn.Tensor(sinusoidal_positions(length, WIDTH).astype(dtype)),
                                      requires_grad=False)
        self.attention = SelfAttention(WIDTH, HEADS, dtype)
        self.norm1 = nn.LayerNorm(WIDTH, dtype=dtype)
        self.feed_forward1 = nn.Linear(WIDTH, HIDDEN, dtype=dtype)
        self.feed_forward2 = nn.Linear(HIDDEN, WIDTH, dtype=dtype)
        self.norm2 = nn.LayerNorm(WIDTH, dtype=dtype)
        self.head = nn.Linear(WIDTH, 1, dtype=dtype)

    def forward(self, tokens):
        """``tokens``: int (n, length) word indices, 0 = padding; returns the (n,) scores."""
        n, length = tokens.shape
        padded = tokens.numpy() == 0
        key_mask = pdn.Tensor(np.where(padded, -np.inf, 0.).astype(self.dtype)[:, None, None, :])
        x = (self.embedding(tokens) + self.positions).reshape(n * length, WIDTH)
        x = self.norm1(x + self.attention(x, n, length, key_mask))
        x = self.norm2(x + self.feed_forward2(F.relu(self.feed_forward1(x))))
        return self.head(x.reshape(n, length, WIDTH)[:, 0]).reshape(-1)


def weighted_logistic_loss(output, labels, weights):
    """mean(w * log(1 + exp(-label * output))), computed as m + log(exp(-m) + exp(z - m)) with
    z = -label * output and m = max(z, 0): the same value (for any m), but neither exponential
    can overflow. (Not via abs(): PyDyNet 1.1's abs has a broken backward.)"""
    z = -labels * output
    m = pdn.maximum(z, 0.)
    return (weights * (m + pdn.log(pdn.exp(-m) + pdn.exp(z - m)))).mean()


def accuracy(net, loader):
    """Share of sentences whose predicted sign is the label's, in eval mode without a graph."""
    net.eval()
    correct = total = 0
    with pdn.no_grad():
        for x, y in loader:
            correct += pdn.sign(net(pdn.Tensor(x))).eq(pdn.Tensor(y)).sum().item()
            total += len(y)
    net.train()
    return correct / total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--test-batch-size", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", default=DEFAULT_DATA,
                        help="CoLA in_domain_train.tsv, or a directory of fortune files (the default)")
    parser.add_argument("--sentences", type=int, default=None,
                        help=f"sample this many sentences (default: {DEFAULT_SENTENCES} fortunes, all of CoLA)")
    parser.add_argument("--max-words", type=int, default=20, help="longest fortune sentence kept (default 20)")
    parser.add_argument("--quick", action="store_true", help="256 sentences (fortunes: of at most 8 words), 3 epochs")
    parser.add_argument("--output", default=None, help="PNG path (default examples/output/transformer.png)")
    parser.add_argument("--results", default=None, help="also write the final figures to this JSON file")
    args = parser.parse_args(argv)

    np.random.seed(args.seed)
    if hasattr(pdn, "manual_seed"):  # gradswift's engine generator (weights)
        pdn.manual_seed(args.seed)

    epochs = min(args.epochs, 3) if args.quick else args.epochs
    if os.path.isdir(args.data):
        sentences = 256 if args.quick else (args.sentences or DEFAULT_SENTENCES)
        texts, labels = build_fortunes_task(args.data, args.seed, sentences, max_words=8 if args.quick else args.max_words)
        source = f"{len(texts)} sentences of the fortunes corpus in {args.data}, about 30% with scrambled word order"
    elif os.path.isfile(args.data):
        texts, labels = load_cola(args.data, args.seed, 256 if args.quick else args.sentences)
        source = f"{len(texts)} CoLA sentences from {args.data}"
    else:
        raise SystemExit(f"transformer.py: {args.data} not found. Install the fortunes corpus with "
                         f"`apt-get install -y fortunes`, or pass --data in_domain_train.tsv.")
    tokens, vocabulary = encode(texts)

    from sklearn.model_selection import train_test_split
    train_x, test_x, train_y, test_y = train_test_split(tokens, labels, test_size=0.2, stratify=labels,
                                                        random_state=42)
    ratio = float(np.mean(train_y > 0))
    train_loader = data_loader(train_x, train_y, args.batch_size, shuffle=True)
    train_eval_loader = data_loader(train_x, train_y, args.test_batch_size, shuffle=False)
    test_loader = data_loader(test_x, test_y, args.test_batch_size, shuffle=False)

    net = Transformer(len(vocabulary) + 1, tokens.shape[1])
    optimizer = Adam(net.parameters(), lr=args.lr)
    steps = -(-len(train_y) // args.batch_size)  # PyDyNet's DataLoader has no len()
    print(net)
    print(f"data: {source}; vocabulary of {len(vocabulary)} words, padded to {tokens.shape[1]}; "
          f"{len(train_y)} training and {len(test_y)} test sentences, {ratio:.1%} acceptable; "
          f"{epochs} epoch(s) of {steps} steps")

    history = {"train": [], "test": [], "loss": [], "mean loss": [], "seconds": []}
    for epoch in range(epochs):
        started = time.perf_counter()
        bar = progress_bar(steps, f"epoch {epoch + 1}/{epochs}")
        loss_sum = 0.
        for x, y in train_loader:
            weights = np.where(y > 0, 1. / ratio, 1. / (1. - ratio)).astype(np.float32)
            loss = weighted_logistic_loss(net(pdn.Tensor(x)), pdn.Tensor(y), pdn.Tensor(weights))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            last_loss = loss.item()
            loss_sum += last_loss
            bar.set_postfix(LOSS=f"{last_loss:.4f}", refresh=False)
            bar.update(1)
        seconds = time.perf_counter() - started
        history["seconds"].append(seconds)
        history["train"].append(accuracy(net, train_eval_loader))
        history["test"].append(accuracy(net, test_loader))
        history["loss"].append(last_loss)
        history["mean loss"].append(loss_sum / steps)
        bar.set_postfix(LOSS=f"{last_loss:.4f}", TRAIN_ACC=f"{history['train'][-1]:.4f}",
                        TEST_ACC=f"{history['test'][-1]:.4f}")
        bar.close()
        print(f"epoch {epoch + 1}/{epochs}: LOSS {last_loss:.4f}  TRAIN_ACC {history['train'][-1]:.4f}  "
              f"TEST_ACC {history['test'][-1]:.4f}  ({seconds:.1f} s training, "
              f"{1000 * seconds / steps:.1f} ms/step)")

    path = output_path(args.output, "transformer.png")
    epoch_numbers = np.arange(1, epochs + 1)
    curves = {"train accuracy": (epoch_numbers, history["train"]), "test accuracy": (epoch_numbers, history["test"])}
    name = "fortunes" if os.path.isdir(args.data) else "CoLA"
    if save_line_plots(path, [(f"one-block Transformer on {name}", "epoch", "accuracy", curves)]):
        print(f"accuracy curves saved to {path}")
    write_results(args.results, data=source, epochs=epochs, seconds_per_epoch=float(np.mean(history["seconds"])),
                  metrics={"train accuracy": history["train"][-1], "test accuracy": history["test"][-1]},
                  history=history)
    if args.quick:
        # the epochs' mean losses: the last batch alone is small and noisy
        require_loss_fell("transformer.py", history["mean loss"][0], history["mean loss"][-1])
    return history


if __name__ == "__main__":
    main()
