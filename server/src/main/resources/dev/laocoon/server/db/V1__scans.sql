-- Scans: one row per upload (or cache hit), readable only by its tenant.
CREATE TABLE scans (
  id VARCHAR(64) PRIMARY KEY,
  tenant VARCHAR(64) NOT NULL,
  name VARCHAR(1024) NOT NULL,
  sha256 VARCHAR(64),
  cache_key VARCHAR(64),
  size BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  verdict VARCHAR(16),
  result ${text},
  error VARCHAR(2048),
  cached BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX scans_by_tenant ON scans (tenant, created_at);
CREATE INDEX scans_by_content ON scans (tenant, sha256, cache_key);
-- Settings of the service itself (the admin token's hash).
CREATE TABLE settings (
  name VARCHAR(64) PRIMARY KEY,
  setting_value VARCHAR(1024) NOT NULL
);
-- Bytes uploaded per tenant and UTC day (the bytesPerDay quota, shared by replicas).
CREATE TABLE usage_bytes (
  tenant VARCHAR(64) NOT NULL,
  usage_day VARCHAR(10) NOT NULL,
  bytes BIGINT NOT NULL,
  PRIMARY KEY (tenant, usage_day)
);
