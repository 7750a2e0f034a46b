"""Script -> Plan: statements gathered, times resolved, expressions allow-listed and evaluated per frame."""
