"""The Veeam batch restore's behaviour: its words live with its facts and rules
(``bot/domain/restore.py``)."""

from __future__ import annotations

from bot.domain.restore import RestoreWords

BEHAVIOUR = RestoreWords()
