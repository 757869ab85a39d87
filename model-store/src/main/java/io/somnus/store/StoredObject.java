package io.somnus.store;

import java.time.Instant;

/** One entry of a listing: key, size in bytes, and when the store last wrote it. */
public record StoredObject(String key, long size, Instant lastModified) {}
