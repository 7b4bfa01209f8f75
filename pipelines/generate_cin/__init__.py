"""Synthetic DfE Children in Need census returns for a fictional local authority (LA 999).

A return covers the census year 1 April (year - 1) to 31 March (year): every child in need at
any point in it, with each CIN episode (`CINdetails`) open during the year and the assessments,
CIN plans, section 47 enquiries and child protection plans of that episode that were open at some
point in the year. Dates after the reference date have not happened yet, so open items carry no end.

Consecutive years overlap as real returns do: `overlap_from` names last year's return, read as a
stream; every child with an episode still open at its reference date is carried into this year
(same LAchildID, UPN and birth date, the same CINreferralDate, source and need) and the episode's
story goes on: it may close, its plans end, its reviews continue. Some children whose episodes had
closed are referred again. Then new children are added up to `children`, numbered after the
highest LAchildID seen.

The schema era follows `year`: `GenderCurrent` (1/2/0/9) up to 2024, `Sex` (M/F/U) from 2025;
from 2026 some episodes carry a `PreProceedings` module that older parsers do not know (a reader
must ignore unknown elements). Booleans (ReferralNFA, ICPCnotRequired) are 0/1 or false/true, as
the authority's case-management system writes them (drawn from the seed unless given).

Everything is invented: LAchildIDs are `SYN-000123`, UPNs start with `Z` and the fictional LA code
999 (UPN-shaped, never a real pupil's). The file is written child by child, so memory stays flat
whatever the size; the same arguments give the same bytes.
"""
from __future__ import annotations

from .model import (CPP, LA, S47, Assessment, Child, Episode, Plan, PreProceedings, Summary, child_id, iso,
                    upn_for)
from .reader import read_children
from .writer import GENDER_CURRENT, write_cin_return, write_cin_series

__all__ = ["LA", "GENDER_CURRENT", "Assessment", "Plan", "S47", "CPP", "PreProceedings", "Episode", "Child",
           "Summary", "child_id", "upn_for", "iso", "read_children", "write_cin_return", "write_cin_series"]
