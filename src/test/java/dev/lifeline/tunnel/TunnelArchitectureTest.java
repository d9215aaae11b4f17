package dev.lifeline.tunnel;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The tunnel keeper's boundaries: it uses config, core and the process layer, and nothing else of Lifeline. */
class TunnelArchitectureTest {
    static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.lifeline");

    @Test
    void tunnelDependsOnlyOnConfigCoreProcessAndTheJdk() {
        classes()
                .that()
                .resideInAPackage("dev.lifeline.tunnel..")
                .should()
                .onlyDependOnClassesThat()
                .resideInAnyPackage(
                        "dev.lifeline.tunnel..",
                        "dev.lifeline.config..",
                        "dev.lifeline.core..",
                        "dev.lifeline.process..",
                        "java..")
                .check(MAIN);
    }

    @Test
    void onlyTheCliAndTheDaemonUseTheTunnelKeeper() {
        noClasses()
                .that()
                .resideOutsideOfPackages(
                        "dev.lifeline.tunnel..", "dev.lifeline.cli..", "dev.lifeline.daemon..", "dev.lifeline.web..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.lifeline.tunnel..")
                .check(MAIN);
    }
}
