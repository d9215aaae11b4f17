package dev.lifeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CatalogSpecTest {
    private static final Path FILE = Path.of("/srv/app/lifeline.yaml");

    @Test
    void readsTheFieldMappingAndStealth() {
        LifelineConfig c =
                LifelineConfig.parse("catalog:\n  fields: { seed: my_seed, prompt: text }\n  stealth: true\n", FILE);
        CatalogSpec s = c.catalog().orElseThrow();
        assertThat(s.enabled()).isTrue();
        assertThat(s.stealth()).isTrue();
        assertThat(s.fields()).containsExactlyInAnyOrderEntriesOf(Map.of("seed", "my_seed", "prompt", "text"));
        assertThat(LifelineConfig.parse("catalog: false\n", FILE)
                        .catalog()
                        .orElseThrow()
                        .enabled())
                .isFalse();
        assertThat(LifelineConfig.parse("services: {}\n", FILE).catalog()).isEmpty();
    }

    @Test
    void mistakesNameTheFileLineAndColumnAndWhatIsValid() {
        assertThatThrownBy(() -> LifelineConfig.parse("catalog:\n  fields:\n    sede: my_seed\n", FILE))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("/srv/app/lifeline.yaml:3:")
                .hasMessageContaining("unknown key 'sede' (did you mean 'seed'?)")
                .satisfies(e -> assertThat(((ConfigException) e).hint()).contains("model_hash"));
        assertThatThrownBy(() -> LifelineConfig.parse("catalog:\n  stealth: maybe\n", FILE))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(":2:")
                .hasMessageContaining("'maybe' is not true or false");
        assertThatThrownBy(() -> LifelineConfig.parse("catalog:\n  fields: { seed: \"\" }\n", FILE))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("catalog.fields.seed");
        assertThatThrownBy(() -> LifelineConfig.parse("catalog:\n  feilds: {}\n", FILE))
                .hasMessageContaining("did you mean 'fields'");
    }
}
