"""REM's small-model tasks, one file each, behind one interface (base.py), evaluated by
one frozen harness (harness.py, sealed by augur.frozen)."""
