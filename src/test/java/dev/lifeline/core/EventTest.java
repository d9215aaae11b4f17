package dev.lifeline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventTest {
    @Test
    void anEventCarriesWhatHappenedAndCannotBeChangedAfterwards() {
        Instant before = Instant.now();
        Event e = Event.info("service/webui", "ready", "webui is ready");
        assertThat(e.source()).isEqualTo("service/webui");
        assertThat(e.type()).isEqualTo("ready");
        assertThat(e.level()).isEqualTo(Event.Level.INFO);
        assertThat(e.message()).isEqualTo("webui is ready");
        assertThat(e.fields()).isEmpty();
        assertThat(Duration.between(before, e.time())).isBetween(Duration.ZERO, Duration.ofMinutes(1));

        Map<String, Object> fields = new HashMap<>(Map.of("pid", 42));
        Event crash = Event.of("service/webui", "crashed", Event.Level.ERROR, "exited 1", fields);
        fields.put("pid", 43);
        assertThat(crash.fields()).isEqualTo(Map.of("pid", 42));
        assertThat(crash.level()).isEqualTo(Event.Level.ERROR);
        assertThatThrownBy(() -> crash.fields().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aLifelineExceptionCarriesItsNextStep() {
        LifelineException plain = new LifelineException("it broke");
        assertThat(plain.getMessage()).isEqualTo("it broke");
        assertThat(plain.hint()).isNull();
        RuntimeException cause = new RuntimeException("io");
        LifelineException full = new LifelineException("it broke", "try again", cause);
        assertThat(full.hint()).isEqualTo("try again");
        assertThat(full.getCause()).isSameAs(cause);
        assertThat(new LifelineException("m", "h").hint()).isEqualTo("h");
    }
}
