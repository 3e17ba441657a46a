"""The small torch modules of the importer tests: THEORY.md section 1's network, written with
plain ``torch.nn`` (conv, ReLU, global average pool, linear readout) for pulses (1D) and disks
(2D), and the number of evenly spaced amplitudes of their data grids."""

from torch import nn

AMPLITUDES = 11


def pulse_net(C=2, k=3, **conv):
    return nn.Sequential(nn.Conv1d(1, C, k, padding="same", **conv), nn.ReLU(), nn.AdaptiveAvgPool1d(1),
                         nn.Flatten(), nn.Linear(C, 1))


def disk_net(C=2, k=3):
    return nn.Sequential(nn.Conv2d(1, C, k, padding="same"), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(C, 1))
