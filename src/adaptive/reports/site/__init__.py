"""The report site: static pages teachers, school and district leaders open each morning.

    result = build_site("out/batch", "2027-02-20", "out/report", catalog="catalog.json",
                        profiles="profiles.jsonl", roster=None)     # result.index: the top page

Built from the nightly job's Parquet output only (`data.py`: whatever engine wrote it), one school
at a time (`workers` forked processes). Plain HTML and CSS with inline SVG charts and one small script (filters, sorting, the
overrides export); it opens from the file system, makes no network request (a Content-Security-
Policy meta tag forbids any), and a re-run writes byte-identical files. Layout:

    index.html                                  district: schools ranked by the share on track
    schools/<school>/index.html                 school: its classes, growth, stuck skills
    schools/<school>/<class>/index.html         class (the teacher's page): heatmap, groups,
                                                filters, growth, overrides export
    schools/<school>/<class>/students.html      students: one section per student (shown
                                                alone by its link, #s-<id>): recommendations
                                                and reasons, mastery over time, interests,
                                                goals, overrides
    assets/site.css, assets/site.js, site.json  shared files and what was written

Privacy: pages show pseudonymous ids unless a roster (CSV student_id,name) is given; a class
page holds only its students; `school=` / `class_id=` write only that unit (for access-controlled
hosting). Names are read from the roster into the pages only: never logged.
"""

from adaptive.reports.site.build import SiteResult, build_site, student_groups
from adaptive.reports.site.data import ReportInputError

__all__ = ["ReportInputError", "SiteResult", "build_site", "student_groups"]
