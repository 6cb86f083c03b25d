"""The colours of every output, from the Okabe-Ito set (Okabe and Ito 2008, "Color Universal
Design"): colours people with a colour vision deficiency still tell apart.

Colour never carries a status alone: every status is also an icon and a word (Status.icon,
Status.text), the target is a dashed line and the at-risk band is hatched and labelled.
tests/test_colour_vision.py simulates deuteranopia on these colours and checks that the pairs a
reader must tell apart stay apart; report.css and site.css use the same status colours.
"""

from __future__ import annotations

from types import MappingProxyType

# The Okabe-Ito set
BLACK = "#000000"
ORANGE = "#e69f00"
SKY_BLUE = "#56b4e9"
BLUISH_GREEN = "#009e73"
YELLOW = "#f0e442"
BLUE = "#0072b2"
VERMILLION = "#d55e00"
REDDISH_PURPLE = "#cc79a7"
GREY = "#999999"  # not Okabe-Ito: a neutral for "no value"

# A status (or a verdict) by its badge code: `met`, `at_risk`, ... (Badge.code)
MET = BLUISH_GREEN
AT_RISK = YELLOW
MISSED = VERMILLION
STATUS = MappingProxyType(
    {
        "met": MET,
        "achieved": MET,
        "at_risk": AT_RISK,
        "missed": MISSED,
        "no_data": GREY,
        "error": REDDISH_PURPLE,
    }
)
ON_STATUS = "#000000"  # text on a status colour: black reads on all of them (>= 4.5:1)

# The charts
TARGET = BLACK  # dashed: apart from every series colour by lightness, whatever the hue
SERIES = (BLUE, ORANGE, REDDISH_PURPLE, SKY_BLUE, VERMILLION, BLUISH_GREEN)
FORECAST = SKY_BLUE
SPREAD = "#bbbbbb"  # the min-to-max band of many series
AT_RISK_HATCH = "#a08b00"  # the at-risk band's hatching: a darker yellow that shows on white
EXCLUDED = GREY  # the time an exclusion leaves out: hatched the other way, labelled "excluded"
EXCLUDED_HATCH = "#666666"
