"""`python -m infra.local.fake_carrier --port N --latency 0.05 --now 2026-11-24T12:00:00Z`."""

from infra.local.fake_carrier import main

raise SystemExit(main())
