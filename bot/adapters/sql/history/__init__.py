"""The one migration history of both engines (Alembic). A released revision never changes.

``HEAD`` names the latest revision, so that a start-up on an up-to-date database reads one row and
does not import Alembic at all (tests/contract/test_schema.py holds it equal to Alembic's head)."""

HEAD = "0008"
#: The revision a database built by the first releases' sqlite-utils migrations (m001..m010) is at.
BASELINE = "0001"
