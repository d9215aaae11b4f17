package dev.lifeline.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;
import org.junit.jupiter.api.Test;

/**
 * The operations capabilities (notify, insight, gpu, boot, doctor) stay independent: only doctor
 * composes insight and gpu, none of them reaches into cli, daemon or supervisor, and picocli stays
 * in cli.
 */
class OpsArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.lifeline");

    @Test
    void leafCapabilitiesDoNotImportEachOther() {
        for (String pkg : new String[] {"notify", "insight", "gpu", "boot"}) {
            noClasses()
                    .that()
                    .resideInAPackage("dev.lifeline." + pkg + "..")
                    .should()
                    .dependOnClassesThat()
                    .resideInAnyPackage(others(
                            pkg,
                            "dev.lifeline.notify..",
                            "dev.lifeline.insight..",
                            "dev.lifeline.gpu..",
                            "dev.lifeline.boot..",
                            "dev.lifeline.doctor..",
                            "dev.lifeline.cli..",
                            "dev.lifeline.daemon..",
                            "dev.lifeline.supervisor..",
                            "picocli.."))
                    .check(CLASSES);
        }
    }

    @Test
    void doctorUsesOnlyFilesProcessFactsInsightAndGpu() {
        noClasses()
                .that()
                .resideInAPackage("dev.lifeline.doctor..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.lifeline.notify..",
                        "dev.lifeline.boot..",
                        "dev.lifeline.cli..",
                        "dev.lifeline.daemon..",
                        "dev.lifeline.supervisor..",
                        "picocli..")
                .check(CLASSES);
    }

    @Test
    void opsPackagesHaveNoCycles() {
        SlicesRuleDefinition.slices()
                .matching("dev.lifeline.(notify|insight|gpu|boot|doctor|core|config|process)..")
                .should()
                .beFreeOfCycles()
                .check(CLASSES);
    }

    private static String[] others(String self, String... all) {
        return java.util.Arrays.stream(all)
                .filter(p -> !p.equals("dev.lifeline." + self + ".."))
                .toArray(String[]::new);
    }
}
