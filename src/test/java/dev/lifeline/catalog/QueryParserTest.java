package dev.lifeline.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The find language: what each form means, and the error each mistake gets. */
class QueryParserTest {
    static final ZoneId ZONE = ZoneId.of("Asia/Shanghai");
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZONE);

    static Query parse(String q) {
        return new QueryParser(q, CLOCK).parse();
    }

    static long day(String d) {
        return LocalDate.parse(d).atStartOfDay(ZONE).toInstant().toEpochMilli();
    }

    @Test
    void freeWordsBecomeQuotedPrefixesOverThePromptColumns() {
        Query q = parse("hatsune miku, \"red hair\"");
        assertThat(q.match()).isEqualTo("({prompt model loras} : (\"hatsune\"* AND \"miku,\"* AND \"red hair\"))");
        assertThat(q.conditions()).isEmpty();
        assertThat(parse("").match()).isNull();
        assertThat(parse("  , ... ").match())
                .as("punctuation of a pasted prompt matches nothing")
                .isNull();
    }

    @Test
    void quotesInsideWordsAreFts5StringsNotSyntax() {
        assertThat(parse("a\"b OR").match()).isEqualTo("({prompt model loras} : (\"a\"\"b\"* AND \"OR\"*))");
        assertThat(parse("cat -dog").match())
                .isEqualTo("({prompt model loras} : (\"cat\"*) NOT {prompt model loras} : (\"dog\"*))");
        assertThat(parse("<lora:add_detail:0.8>").match()).contains("\"<lora:add_detail:0.8>\"*");
    }

    @Test
    void filtersBecomeBoundConditions() {
        Query q = parse("castle seed: 123* steps: 10-30 cfg: 7 sampler: \"euler a\" | ddim model: sdxl size: 1024x?");
        assertThat(q.match()).isEqualTo("({prompt model loras} : (\"castle\"*))");
        List<String> sql = q.conditions().stream().map(Query.Condition::sql).toList();
        assertThat(sql).hasSize(6);
        assertThat(sql.get(0)).startsWith("(i.seed = ? OR i.seed BETWEEN ? AND ?");
        assertThat(q.conditions().get(0).args()).startsWith(123L, 1230L, 1239L, 12300L, 12399L);
        assertThat(q.conditions().get(1).args()).containsExactly(10L, 30L);
        assertThat(q.conditions().get(2).args()).hasSize(2); // 7 ± 1e-6
        assertThat(sql.get(3)).isEqualTo("(i.sampler = ? COLLATE NOCASE OR i.sampler = ? COLLATE NOCASE)");
        assertThat(q.conditions().get(3).args()).containsExactly("euler a", "ddim");
        assertThat(q.conditions().get(4).args()).containsExactly("%sdxl%", "sdxl%");
        assertThat(q.conditions().get(5).args()).containsExactly(1024L);
        for (Query.Condition c : q.conditions()) {
            assertThat(c.sql()).doesNotContain("sdxl", "euler", "123");
        }
    }

    @Test
    void likeWildcardsTheUserTypesAreLiteral() {
        assertThat(parse("model: 50%_off").conditions().get(0).args()).containsExactly("%50\\%\\_off%", "50\\%\\_off%");
        assertThat(parse("sampler: dpm*").conditions().get(0).args()).containsExactly("dpm%");
        assertThat(parse("path: portraits").conditions().get(0).args()).containsExactly("*portraits*", "*portraits*");
        assertThat(parse("path: img-*.png").conditions().get(0).args()).containsExactly("*/img-*.png", "img-*.png");
        assertThat(parse("path: */portraits/*").conditions().get(0).args()).contains("*/portraits/*");
    }

    @Test
    void datesAreDaysInTheMachinesZone() {
        assertThat(parse("date: since yesterday").conditions().get(0).args())
                .containsExactly(day("2026-11-30"), Long.MAX_VALUE);
        assertThat(parse("date: 2026-11-30").conditions().get(0).args())
                .containsExactly(day("2026-11-30"), day("2026-12-01"));
        assertThat(parse("date: 2026-11-01..2026-11-30").conditions().get(0).args())
                .containsExactly(day("2026-11-01"), day("2026-12-01"));
        assertThat(parse("date: before 2026-11-01").conditions().get(0).args())
                .containsExactly(Long.MIN_VALUE, day("2026-11-01"));
        assertThat(parse("date: 7d").conditions().get(0).args()).containsExactly(day("2026-11-25"), Long.MAX_VALUE);
        assertThat(parse("date: today").conditions().get(0).args())
                .containsExactly(day("2026-12-01"), day("2026-12-02"));
    }

    @Test
    void keysAreCaseInsensitiveAndValuesMayFollowWithoutSpace() {
        assertThat(parse("Seed:42").conditions().get(0).args()).containsExactly(42L);
        assertThat(parse("neg: blurry").match()).isEqualTo("(negative : (\"blurry\"*))");
        assertThat(parse("deleted: true").conditions().get(0).sql()).startsWith("NOT EXISTS");
        assertThat(parse("snapshot: 20261130").conditions().get(0).args()).containsExactly(8, "20261130");
    }

    @Test
    void mistakesSayWhatIsWrongAndTheRightForm() {
        expectError("sede: 5", "unknown filter 'sede:' at column 1 (did you mean 'seed:'?)", "filters: ");
        expectError("cat steps: ten", "'steps:' at column 5 got 'ten'", "steps: 20 or steps: 10-30");
        expectError("steps: 2.5", "'steps:' at column 1 got '2.5'", "steps: 20");
        expectError("\"red hair", "the quote opened at column 1 is never closed", "close it");
        expectError("date: 2026-13-01", "'date:' at column 1 got '2026-13-01'", "date: since yesterday");
        expectError("date: since", "'since' with no day", "date: ");
        expectError("date: 2026-11-30..2026-11-01", "empty span", "earlier day first");
        expectError("size: 1024", "'size:' at column 1 got '1024'", "size: 1024x?");
        expectError("-dog", "no word to search for", "portrait -dog");
        expectError("deleted: maybe", "got 'maybe'", "deleted: true");
        expectError("sampler: euler |", "nothing after '|'", "sampler: \"euler a\" | ddim");
        expectError("seed:", "got nothing", "seed: 123*");
        expectError("seed: 99999999999999999999", "too large", "seed: ");
        expectError("snapshot: '; --", "got ''", "snapshot: ");
        expectError("sha: xyz", "got 'xyz'", "prefix");
        expectError("x".repeat(5000), "at most 4096", "fewer words");
    }

    static void expectError(String query, String message, String hint) {
        assertThatThrownBy(() -> parse(query))
                .as(query)
                .isInstanceOf(QueryException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((QueryException) e).hint()).contains(hint));
    }
}
