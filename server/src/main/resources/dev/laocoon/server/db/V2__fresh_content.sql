-- The content cache looks up the fresh scans of a content (not the cache hits answered from them):
-- without "cached" in the index, every hit would make the next lookup read one more row.
CREATE INDEX scans_by_fresh_content ON scans (tenant, sha256, cache_key, cached);
-- its first three columns serve every lookup the older index served
DROP INDEX scans_by_content;
