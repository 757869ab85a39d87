package io.somnus.store;

import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * Search filters in MLflow's filter syntax for exact tag (or name) equality.
 *
 * <p>MLflow (2.17) takes a quoted value verbatim: it strips the quotes and un-escapes nothing, so {@code 'it\'s'} looks
 * for the five characters {@code it\'s}. A value is therefore quoted with the quote character it does not contain. A
 * value containing both quote characters, or a backslash (which the tokenizer may read as escaping the closing quote),
 * cannot be written as an equality at all: it becomes a {@code LIKE} pattern with those characters as {@code _}
 * wildcards, which matches a superset, and the caller keeps the exact matches ({@link #matches}).
 */
final class MlflowFilter {
  private MlflowFilter() {}

  /** {@code tags.`k1` = "v1" and tags.`k2` = 'v2' ...}, keys in sorted order; empty for no tags. */
  static String tagsEqual(Map<String, String> tagEquals) {
    StringJoiner filter = new StringJoiner(" and ");
    new TreeMap<>(tagEquals).forEach((k, v) -> {
      Tracking.checkKey("tag", k);
      filter.add(equality("tags.`" + k + "`", v));
    });
    return filter.toString();
  }

  /** {@code field = "value"}, or a LIKE superset when no quoting can express the value. */
  static String equality(String field, String value) {
    if (value.indexOf('\\') < 0) {
      if (value.indexOf('"') < 0) return field + " = \"" + value + "\"";
      if (value.indexOf('\'') < 0) return field + " = '" + value + "'";
    }
    return field + " LIKE \"" + value.replaceAll("[\"'\\\\]", "_") + "\"";
  }

  /** Exact equality on every tag: the check that narrows a LIKE superset down. */
  static boolean matches(Map<String, String> tags, Map<String, String> tagEquals) {
    return tagEquals.entrySet().stream().allMatch(e -> e.getValue().equals(tags.get(e.getKey())));
  }
}
