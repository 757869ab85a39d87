package io.somnus.store;

import java.time.Instant;

/**
 * Index entry of one run's Parquet snapshot, stored as {@code ledger/runs/<runId>.json}.
 *
 * @param key content key of the Parquet blob
 */
public record LedgerSnapshot(String runId, String modelVersion, String key, int rows, Instant createdAt) {}
