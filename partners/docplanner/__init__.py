"""ZnanyLekarz / Docplanner: the pure half of its API (`sansio`: ids, bodies, parsers)
beside the httpx client that sends it (`client`), as gidgethub keeps `sansio` beside
its `httpx` adapter. Its push endpoint is `partners.docplanner_push`."""
