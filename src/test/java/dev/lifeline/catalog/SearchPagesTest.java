package dev.lifeline.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.catalog.meta.ImageMeta;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the gallery shows for a query over a real SQLite index: the total and the facets count
 * every hit (not only the page), the page is the same with facets as without, and pages of a
 * query follow each other with neither a gap nor a repeat.
 */
class SearchPagesTest {
    @TempDir
    Path tmp;

    static final String[] MODELS = {"sdxl_base", "flux_dev", "pony_v6"};
    static final String[] SAMPLERS = {"Euler a", "DPM++ 2M", "DDIM", "euler_ancestral"};
    static final String[] TOOLS = {"a1111", "comfyui"};
    static final long DAY0 = Instant.parse("2026-11-20T12:00:00Z").toEpochMilli();

    record Made(String path, ImageMeta meta, long when) {}

    /** 60 images, 40 of them with "castle" (said 1 to 5 times, so BM25 ranks them apart). */
    List<Made> index(Catalog c) {
        List<Made> made = new ArrayList<>();
        for (int k = 0; k < 60; k++) {
            String prompt = k % 3 == 2 ? "a portrait of a fox" : ("castle ".repeat(1 + k % 5) + "on a hill " + k);
            List<ImageMeta.Lora> loras = new ArrayList<>();
            if (k % 4 == 0) {
                loras.add(new ImageMeta.Lora("detail_tweaker", 0.8));
            }
            if (k % 6 == 0) {
                loras.add(new ImageMeta.Lora("add_more_castles", 0.5));
            }
            ImageMeta m = new ImageMeta(
                    TOOLS[k % 2],
                    prompt,
                    "lowres",
                    (long) k,
                    20 + k % 10,
                    7.0,
                    SAMPLERS[k % 4],
                    "karras",
                    k % 7 == 0 ? null : MODELS[k % 3],
                    null,
                    loras,
                    1024,
                    1024,
                    null);
            long when = DAY0 + (k % 4) * 86_400_000L + k * 1000L;
            String path = "outputs/" + k + ".png";
            c.index(String.format("%064x", k), path, m, Instant.ofEpochMilli(when));
            made.add(new Made(path, m, when));
        }
        return made;
    }

    static Map<String, Long> count(List<Made> hits, java.util.function.Function<Made, String> key) {
        Map<String, Long> out = new TreeMap<>();
        for (Made h : hits) {
            String v = key.apply(h);
            if (v != null) {
                out.merge(v, 1L, Long::sum);
            }
        }
        return out;
    }

    @Test
    void totalAndFacetsCountEveryHitAndThePageIsTheSameWithOrWithoutThem() {
        try (Catalog c = Catalog.open(tmp.resolve("repo"), f -> Optional.empty())) {
            List<Made> made = index(c);
            for (String text : List.of("castle", "castle sampler: \"euler a\" | ddim", "tool: comfyui", "")) {
                Query q = Query.parse(text);
                SearchResult all = c.search(q, 100, false, false);
                SearchResult withFacets = c.search(q, 7, true, false);
                SearchResult without = c.search(q, 7, false, false);
                List<String> expected = all.hits().stream().map(Hit::path).toList();
                List<Made> hits =
                        made.stream().filter(m -> expected.contains(m.path())).toList();

                assertThat(withFacets.total()).as(text).isEqualTo(hits.size());
                assertThat(TestImages.paths(withFacets))
                        .as("the page of '%s' with facets", text)
                        .isEqualTo(TestImages.paths(without))
                        .isEqualTo(expected.subList(0, 7));
                assertThat(withFacets.facets().get("model"))
                        .as(text)
                        .isEqualTo(count(hits, m -> m.meta().model()));
                assertThat(withFacets.facets().get("sampler"))
                        .as(text)
                        .isEqualTo(count(hits, m -> m.meta().sampler()));
                assertThat(withFacets.facets().get("tool"))
                        .as(text)
                        .isEqualTo(count(hits, m -> m.meta().tool()));
                Map<String, Long> loras = new TreeMap<>();
                hits.forEach(h -> h.meta().loras().forEach(l -> loras.merge(l.name(), 1L, Long::sum)));
                assertThat(withFacets.facets().get("lora")).as(text).isEqualTo(loras);
                assertThat(withFacets.facets().get("day"))
                        .as(text)
                        .isEqualTo(count(
                                hits,
                                m -> Instant.ofEpochMilli(m.when())
                                        .atZone(ZoneId.systemDefault())
                                        .toLocalDate()
                                        .toString()));
            }
            assertThat(c.search(Query.parse("castle"), 100, false, false).hits())
                    .as("40 images say castle")
                    .hasSize(40);
        }
    }

    @Test
    void pagesFollowEachOtherWithNoGapAndNoRepeat() {
        try (Catalog c = Catalog.open(tmp.resolve("repo"), f -> Optional.empty())) {
            index(c);
            for (String text : List.of("castle", "castle lora: detail", "")) {
                Query q = Query.parse(text);
                List<String> whole = TestImages.paths(c.search(q, 100, false, false));
                for (boolean facets : List.of(false, true)) {
                    List<String> paged = new ArrayList<>();
                    for (int offset = 0; offset < whole.size() + 9; offset += 9) {
                        SearchResult page = c.search(q, 9, offset, facets, false, null);
                        assertThat(page.hits().size()).isLessThanOrEqualTo(9);
                        paged.addAll(TestImages.paths(page));
                    }
                    assertThat(paged)
                            .as("'%s' page by page, facets %s", text, facets)
                            .isEqualTo(whole)
                            .doesNotHaveDuplicates();
                    assertThat(new HashSet<>(paged)).hasSize(whole.size());
                }
            }
            assertThat(c.search(Query.parse("castle"), 9, 1000, true, false, null)
                            .hits())
                    .as("past the end")
                    .isEmpty();
        }
    }
}
