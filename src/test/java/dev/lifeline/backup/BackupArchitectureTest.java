package dev.lifeline.backup;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The vault's own boundaries (the project-wide rules live with the integrator's ArchUnit test). */
class BackupArchitectureTest {
    static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.lifeline.backup");

    @Test
    void theAwsSdkIsUsedOnlyInTheS3Store() {
        noClasses()
                .that()
                .resideOutsideOfPackage("dev.lifeline.backup.s3..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("software.amazon..")
                .check(CLASSES);
    }

    @Test
    void theVaultKnowsNothingOfTheCliOrOtherCapabilities() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "picocli..",
                        "dev.lifeline.cli..",
                        "dev.lifeline.supervisor..",
                        "dev.lifeline.tunnel..",
                        "dev.lifeline.daemon..",
                        "dev.lifeline.process..")
                .check(CLASSES);
    }

    @Test
    void theS3StoreDoesNotReachBackIntoTheVault() {
        slices().matching("dev.lifeline.backup.(**)").should().beFreeOfCycles().check(CLASSES);
        noClasses()
                .that()
                .resideInAPackage("dev.lifeline.backup.s3..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.lifeline.backup")
                .check(CLASSES);
    }
}
