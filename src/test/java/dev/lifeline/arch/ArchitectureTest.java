package dev.lifeline.arch;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The package rules of docs/ARCHITECTURE.md, checked: foundation packages import no capability,
 * capabilities do not import each other, only the daemon wires them, and nothing forms a cycle.
 */
class ArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.lifeline");

    /** Who may use whom (besides itself and the JDK/libraries). */
    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("core", Set.of()),
            Map.entry("config", Set.of("core")),
            Map.entry("process", Set.of("core")),
            Map.entry("supervisor", Set.of("core", "config", "process")),
            Map.entry("tunnel", Set.of("core", "config", "process")),
            Map.entry("backup", Set.of("core", "config", "process")),
            Map.entry("notify", Set.of("core", "config")),
            Map.entry("insight", Set.of("core", "config")),
            Map.entry("gpu", Set.of("core", "process")),
            Map.entry("boot", Set.of("core", "config", "process")),
            Map.entry("doctor", Set.of("core", "config", "process", "insight", "gpu")),
            Map.entry("demo", Set.of("core", "process")),
            Map.entry("catalog", Set.of("core", "config", "backup")),
            Map.entry("metrics", Set.of("core")),
            Map.entry("dashboard", Set.of("core", "config")),
            Map.entry(
                    "daemon",
                    Set.of(
                            "core",
                            "config",
                            "process",
                            "supervisor",
                            "tunnel",
                            "backup",
                            "notify",
                            "insight",
                            "gpu",
                            "doctor",
                            "catalog",
                            "metrics",
                            "dashboard")),
            Map.entry(
                    "cli",
                    Set.of(
                            "core",
                            "config",
                            "process",
                            "daemon",
                            "supervisor",
                            "tunnel",
                            "backup",
                            "notify",
                            "insight",
                            "gpu",
                            "boot",
                            "doctor",
                            "demo",
                            "catalog",
                            "dashboard")));

    @Test
    void packagesDependOnlyOnWhatTheArchitecturePageAllows() {
        for (Map.Entry<String, Set<String>> e : ALLOWED.entrySet()) {
            String pkg = e.getKey();
            List<String> forbidden = ALLOWED.keySet().stream()
                    .filter(other -> !other.equals(pkg) && !e.getValue().contains(other))
                    .map(other -> "dev.lifeline." + other + "..")
                    .toList();
            if (forbidden.isEmpty()) {
                continue;
            }
            ArchRule rule = ArchRuleDefinition.noClasses()
                    .that()
                    .resideInAPackage("dev.lifeline." + pkg + "..")
                    .should()
                    .dependOnClassesThat()
                    .resideInAnyPackage(forbidden.toArray(String[]::new))
                    .allowEmptyShould(true);
            rule.check(CLASSES);
        }
    }

    @Test
    void everyPackageIsNamedInTheRules() {
        ArchRuleDefinition.classes()
                .should()
                .resideInAnyPackage(ALLOWED.keySet().stream()
                        .map(p -> "dev.lifeline." + p + "..")
                        .toArray(String[]::new))
                .because("a new package needs its place in docs/ARCHITECTURE.md and in this test")
                .check(CLASSES);
    }

    @Test
    void thereAreNoCycles() {
        slices().matching("dev.lifeline.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void picocliStaysInTheCliAndTheAwsSdkInTheS3Store() {
        ArchRuleDefinition.noClasses()
                .that()
                .resideOutsideOfPackage("dev.lifeline.cli..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("picocli..")
                .check(CLASSES);
        ArchRuleDefinition.noClasses()
                .that()
                .resideOutsideOfPackage("dev.lifeline.backup.s3..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("software.amazon..")
                .check(CLASSES);
    }

    @Test
    void externalProgramsRunOnlyThroughTheProcessPackage() {
        // process.Exec (short programs, real timeout) and process.Launcher (services, ssh);
        // the demo app's own worker child is part of what the demo shows
        ArchitectureTest.noClassesOutsideProcess()
                .should()
                .dependOnClassesThat()
                .haveFullyQualifiedName(ProcessBuilder.class.getName())
                .because("a ProcessBuilder elsewhere has no real timeout: use dev.lifeline.process.Exec")
                .check(CLASSES);
        ArchitectureTest.noClassesOutsideProcess()
                .should()
                .callMethodWhere(
                        new com.tngtech.archunit.base.DescribedPredicate<
                                com.tngtech.archunit.core.domain.JavaMethodCall>("Runtime.exec") {
                            @Override
                            public boolean test(com.tngtech.archunit.core.domain.JavaMethodCall call) {
                                return call.getTargetOwner().isEquivalentTo(Runtime.class)
                                        && call.getName().equals("exec");
                            }
                        })
                .because("Runtime.exec has no timeout either: use dev.lifeline.process.Exec")
                .allowEmptyShould(true)
                .check(CLASSES);
    }

    private static com.tngtech.archunit.lang.syntax.elements.GivenClassesConjunction noClassesOutsideProcess() {
        return ArchRuleDefinition.noClasses().that().resideOutsideOfPackage("dev.lifeline.process..");
    }

    @Test
    void bouncyCastleStaysInTheVaultsCrypto() {
        // only the Argon2 closure is shaded into the jar (pom.xml): any other use would fail there
        ArchRuleDefinition.noClasses()
                .that()
                .resideOutsideOfPackage("dev.lifeline.backup")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.bouncycastle..")
                .check(CLASSES);
    }

    @Test
    void theS3StoreDoesNotReachBackIntoTheVault() {
        ArchRuleDefinition.noClasses()
                .that()
                .resideInAPackage("dev.lifeline.backup.s3..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.lifeline.backup")
                .check(CLASSES);
    }
}
