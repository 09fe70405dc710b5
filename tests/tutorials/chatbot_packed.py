"""A chatbot-style encoder-decoder over made-up (question, answer) pairs of different lengths.

Questions are padded with nn.utils.rnn.pad_sequence and packed (unsorted) for a
bidirectional GRU encoder whose two directions' outputs are summed; a GRU decoder
with Luong "dot" attention is trained with teacher forcing on a masked NLL loss
(padding positions do not count), with gradient clipping and Adam.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

from tutorial_utils import sync_weights

torch.manual_seed(0)
PAD, SOS, EOS = 0, 1, 2
PAIRS = [
    ("hello", "hi there"),
    ("how are you", "fine thanks"),
    ("what is your name", "my name is bot"),
    ("good night", "sleep well"),
    ("are you a bot", "yes i am"),
    ("thanks", "you are welcome"),
    ("what time is it", "it is late"),
    ("bye", "see you"),
]
WORDS = sorted({word for pair in PAIRS for sentence in pair for word in sentence.split()})
INDEX = {word: i + 3 for i, word in enumerate(WORDS)}
NAMES = ["<pad>", "<s>", "</s>"] + WORDS
VOCABULARY = len(NAMES)


def to_tensor(sentence):
    return torch.tensor([INDEX[word] for word in sentence.split()] + [EOS], dtype=torch.long)


def batch(pairs):
    questions = [to_tensor(question) for question, _ in pairs]
    answers = [to_tensor(answer) for _, answer in pairs]
    lengths = torch.tensor([len(q) for q in questions])
    padded_questions = pad_sequence(questions, padding_value=PAD)        # (max length, batch)
    padded_answers = pad_sequence(answers, padding_value=PAD)
    return padded_questions, lengths, padded_answers, padded_answers != PAD


class Encoder(nn.Module):
    def __init__(self, hidden_size, embedding):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = embedding
        self.gru = nn.GRU(hidden_size, hidden_size, num_layers=1, bidirectional=True)

    def forward(self, questions, lengths):
        packed = pack_padded_sequence(self.embedding(questions), lengths, enforce_sorted=False)
        outputs, hidden = self.gru(packed)
        outputs, _ = pad_packed_sequence(outputs)
        outputs = outputs[:, :, :self.hidden_size] + outputs[:, :, self.hidden_size:]
        return outputs, hidden


class DotAttention(nn.Module):
    def forward(self, decoder_output, encoder_outputs, question_mask):
        scores = torch.sum(decoder_output * encoder_outputs, dim=2)          # (question length, batch)
        scores = scores.masked_fill(~question_mask, -1e10).t()
        return F.softmax(scores, dim=1).unsqueeze(1)                         # (batch, 1, question length)


class AttentionDecoder(nn.Module):
    def __init__(self, hidden_size, embedding):
        super().__init__()
        self.embedding = embedding
        self.gru = nn.GRU(hidden_size, hidden_size)
        self.attention = DotAttention()
        self.concat = nn.Linear(2 * hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, VOCABULARY)

    def forward(self, token, hidden, encoder_outputs, question_mask):
        output, hidden = self.gru(self.embedding(token).unsqueeze(0), hidden)
        weights = self.attention(output, encoder_outputs, question_mask)
        context = weights.bmm(encoder_outputs.transpose(0, 1)).squeeze(1)
        combined = torch.tanh(self.concat(torch.cat((output.squeeze(0), context), 1)))
        return F.log_softmax(self.out(combined), dim=1), hidden


def masked_nll(log_probabilities, target, mask):
    picked = -torch.gather(log_probabilities, 1, target.view(-1, 1)).squeeze(1)
    return picked.masked_select(mask).mean(), mask.sum().item()


hidden_size = 16
embedding = nn.Embedding(VOCABULARY, hidden_size)
encoder = Encoder(hidden_size, embedding)
decoder = AttentionDecoder(hidden_size, embedding)
sync_weights(encoder, "chatbot_encoder")
sync_weights(decoder, "chatbot_decoder")
encoder_optimizer = torch.optim.Adam(encoder.parameters(), lr=0.01)
decoder_optimizer = torch.optim.Adam(decoder.parameters(), lr=0.02)


def train_batch(pairs):
    questions, lengths, answers, answer_mask = batch(pairs)
    question_mask = questions != PAD
    encoder_optimizer.zero_grad()
    decoder_optimizer.zero_grad()
    encoder_outputs, encoder_hidden = encoder(questions, lengths)
    hidden = encoder_hidden[:1] + encoder_hidden[1:]
    token = torch.full((len(pairs),), SOS, dtype=torch.long)
    loss, total, counted = 0, 0.0, 0
    for step in range(answers.size(0)):
        log_probabilities, hidden = decoder(token, hidden, encoder_outputs, question_mask)
        step_loss, count = masked_nll(log_probabilities, answers[step], answer_mask[step])
        loss = loss + step_loss
        total += step_loss.item() * count
        counted += count
        token = answers[step]                                                # teacher forcing
    loss.backward()
    nn.utils.clip_grad_norm_(encoder.parameters(), 1.0)
    nn.utils.clip_grad_norm_(decoder.parameters(), 1.0)
    encoder_optimizer.step()
    decoder_optimizer.step()
    return total / counted


def reply(question, max_length=6):
    questions, lengths, _, _ = batch([(question, "bye")])
    encoder_outputs, encoder_hidden = encoder(questions, lengths)
    hidden = encoder_hidden[:1] + encoder_hidden[1:]
    token = torch.tensor([SOS])
    words = []
    for _ in range(max_length):
        log_probabilities, hidden = decoder(token, hidden, encoder_outputs, questions != PAD)
        score, token = log_probabilities.max(dim=1)
        if token.item() == EOS:
            break
        words.append(NAMES[token.item()])
    return " ".join(words), score.item()


batches = [PAIRS[0:3], PAIRS[3:6], PAIRS[6:8]]
for epoch in range(1, 31):
    losses = [train_batch(pairs) for pairs in batches]
    if epoch % 5 == 0:
        print(f"epoch {epoch} loss {sum(losses) / len(losses):.5f}")

encoder.eval()
decoder.eval()
with torch.no_grad():
    for question in ["hello", "how are you", "what is your name", "bye"]:
        answer, score = reply(question)
        print(f"{question} -> {answer} ({score:.4f})")
