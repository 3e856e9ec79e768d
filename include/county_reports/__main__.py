from county_reports.cli import main

raise SystemExit(main())
