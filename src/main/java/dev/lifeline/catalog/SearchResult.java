package dev.lifeline.catalog;

import java.util.List;
import java.util.Map;

/**
 * What {@code find} returns: the best hits first (by BM25 when there are words, else newest first),
 * how many there are in all, and the facets over all of them.
 *
 * @param facets {@code model}, {@code lora}, {@code sampler}, {@code tool}, {@code day} → value →
 *     count (the 20 largest of each; empty when facets were not asked for)
 */
public record SearchResult(List<Hit> hits, long total, Map<String, Map<String, Long>> facets) {}
