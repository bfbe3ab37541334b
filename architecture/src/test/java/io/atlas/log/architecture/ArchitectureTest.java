package io.atlas.log.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layering of SPEC section 1, kept true by tests over the main classes of every module:
 * protocol code, then the {@code io.atlas.log} API, the core engine, the {@code io.atlas.log.spi}
 * contract, and backends that know only the SPI.
 */
class ArchitectureTest {

    private static final String[] BACKENDS = {"io.atlas.log.file..", "io.atlas.log.lmdb..", "io.atlas.log.xodus.."};

    private static JavaClasses atlas;

    @BeforeAll
    static void importMainClasses() {
        atlas = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.atlas.log");
    }

    @Test
    void everyModuleIsImported() {
        for (String pkg : new String[] {"io.atlas.log", "io.atlas.log.spi", "io.atlas.log.core", "io.atlas.log.tck",
                "io.atlas.log.file", "io.atlas.log.lmdb", "io.atlas.log.xodus"}) {
            assertTrue(atlas.containPackage(pkg), "architecture: package " + pkg + " was not imported, so no rule checks it");
        }
    }

    @Test
    void theRulesCanFail() {
        ArchRule wrong = noClasses().that().resideInAPackage("io.atlas.log.tck..")
                .should().dependOnClassesThat().resideInAPackage("io.atlas.log.core..");
        assertThrows(AssertionError.class, () -> wrong.check(atlas),
                "architecture: the kit opens logs through core, so this rule must be violated; if it is not, the import is empty");
    }

    @Test
    void spiDependsOnlyOnTheJdk() {
        ArchRule rule = classes().that().resideInAnyPackage("io.atlas.log", "io.atlas.log.spi")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.atlas.log", "io.atlas.log.spi", "java..")
                .because("the spi module is the thin contract every backend and user compiles against (SPEC 1)");
        rule.check(atlas);
    }

    @Test
    void backendsKnowOnlyTheSpi() {
        for (String backend : BACKENDS) {
            String[] others = java.util.Arrays.stream(BACKENDS).filter(b -> !b.equals(backend)).toArray(String[]::new);
            noClasses().that().resideInAPackage(backend)
                    .should().dependOnClassesThat().resideInAnyPackage("io.atlas.log.core..", "io.atlas.log.tck..")
                    .orShould().dependOnClassesThat().resideInAnyPackage(others)
                    .because("a backend never depends on core or on another backend (SPEC 1)")
                    .check(atlas);
        }
    }

    @Test
    void coreDoesNotKnowBackendsOrTheKit() {
        noClasses().that().resideInAPackage("io.atlas.log.core..")
                .should().dependOnClassesThat().resideInAnyPackage(BACKENDS)
                .orShould().dependOnClassesThat().resideInAPackage("io.atlas.log.tck..")
                .because("core finds backends through ServiceLoader only")
                .check(atlas);
    }

    @Test
    void theKitUsesBackendsOnlyThroughTheSpi() {
        noClasses().that().resideInAPackage("io.atlas.log.tck..")
                .should().dependOnClassesThat().resideInAnyPackage(BACKENDS)
                .because("the TCK reaches backends through provider() and ServiceLoader, so it works for third-party ones")
                .check(atlas);
    }

    @Test
    void onlyPersistentLogsAndBackendInfoArePublicInCore() {
        classes().that().resideInAPackage("io.atlas.log.core").and().arePublic()
                .should().haveSimpleNameStartingWith("PersistentLogs")
                .orShould().haveSimpleName("BackendInfo")
                .orShould().haveSimpleName("MemoryStorageProvider")
                .because("nothing outside core reaches its internals")
                .check(atlas);
    }

    @Test
    void noPackageCycles() {
        slices().matching("io.atlas.log.(**)").should().beFreeOfCycles().check(atlas);
    }

    @Test
    void noStandardStreamsOrStackTraces() {
        noClasses().that().resideOutsideOfPackages("io.atlas.log.cli..", "io.atlas.log.tck.crash..")
                .should().accessField(System.class, "out")
                .orShould().accessField(System.class, "err")
                .orShould().callMethod(Throwable.class, "printStackTrace")
                .because("libraries log through System.Logger; only the CLI and the crash kit's child writer talk on stdout")
                .check(atlas);
    }

    @Test
    void noJavaSerialization() {
        noClasses().should().dependOnClassesThat().areAssignableTo(ObjectInputStream.class)
                .orShould().dependOnClassesThat().areAssignableTo(ObjectOutputStream.class)
                .because("G11: no Java serialization anywhere")
                .check(atlas);
    }
}
