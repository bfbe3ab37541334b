package io.atlas.log.tck;

import io.atlas.log.spi.StorageProvider;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kit tested itself, as Reactive Streams tests its TCK: each deliberately broken backend of
 * {@link BrokenBackends} must fail the kit, in the tests of the guarantee it breaks, with messages that
 * name the backend and the guarantee. The kit classes for each broken backend are nested here so
 * that surefire does not run them on their own.
 */
class BrokenBackendsTest {

    static final class DropsLastRecordOfBatchKit extends LogStorageTck {
        @Override
        protected StorageProvider provider() {
            return BrokenBackends.provider("broken-drops-last", BrokenBackends.DropsLastRecordOfBatch::new);
        }
    }

    static final class ReadsOffByOneKit extends LogStorageTck {
        @Override
        protected StorageProvider provider() {
            return BrokenBackends.provider("broken-off-by-one", BrokenBackends.ReadsOffByOne::new);
        }
    }

    static final class ScanIgnoresUpperBoundKit extends LogStorageTck {
        @Override
        protected StorageProvider provider() {
            return BrokenBackends.provider("broken-scan-bound", BrokenBackends.ScanIgnoresUpperBound::new);
        }
    }

    static final class AcceptsNonContiguousAppendKit extends LogStorageTck {
        @Override
        protected StorageProvider provider() {
            return BrokenBackends.provider("broken-contiguity", BrokenBackends.AcceptsNonContiguousAppend::new);
        }
    }

    static final class ForgetsPrefixTruncationKit extends LogStorageTck {
        @Override
        protected StorageProvider provider() {
            return BrokenBackends.provider("broken-prefix", BrokenBackends.ForgetsPrefixTruncationOnReopen::new);
        }
    }

    static final class LosesMetadataKit extends LogStorageTck {
        @Override
        protected StorageProvider provider() {
            return BrokenBackends.provider("broken-meta", BrokenBackends.LosesMetadataOnReopen::new);
        }
    }

    static final class WorldReadableFilesKit extends LogStorageTck {
        @Override
        protected StorageProvider provider() {
            return BrokenBackends.worldReadableFiles("broken-permissions");
        }
    }

    static final class DropsLastRecordThroughCoreKit extends PersistentLogTck {
        @Override
        protected StorageProvider provider() {
            return BrokenBackends.provider("broken-drops-last", BrokenBackends.DropsLastRecordOfBatch::new);
        }
    }

    static final class ForgetsPrefixTruncationThroughCoreKit extends PersistentLogTck {
        @Override
        protected StorageProvider provider() {
            return BrokenBackends.provider("broken-prefix", BrokenBackends.ForgetsPrefixTruncationOnReopen::new);
        }
    }

    static final class LosesMetadataThroughCoreKit extends PersistentLogTck {
        @Override
        protected StorageProvider provider() {
            return BrokenBackends.provider("broken-meta", BrokenBackends.LosesMetadataOnReopen::new);
        }
    }

    @Test
    void worldReadableFilesBreakG11() {
        assertBreaks(WorldReadableFilesKit.class, "broken-permissions", Set.of("g11_filesAreOwnerOnly"));
    }

    @Test
    void droppedRecordsBreakG2EndToEnd() {
        assertBreaks(DropsLastRecordThroughCoreKit.class, "broken-drops-last", Set.of(
                "g2_storeDecisionsStoresOneBatch", "g2_recoverReturnsLastCheckpointAndDecisionsAfterIt",
                "g2_readersSeeContiguousDecisionsWhileWriterStoresAndCompacts", "g4_verifyChecksEveryRecord",
                "g2_randomOperationsMatchTheMemoryModel"));
    }

    @Test
    void prefixTruncationLostOnReopenBreaksG6EndToEnd() {
        assertBreaks(ForgetsPrefixTruncationThroughCoreKit.class, "broken-prefix", Set.of(
                "g6_compactLogUpToDropsDecisions", "g6_onCheckpointCompactionKeepsRetainedDecisions"));
    }

    @Test
    void metadataLostOnReopenBreaksG5EndToEnd() {
        assertBreaks(LosesMetadataThroughCoreKit.class, "broken-meta", Set.of(
                "g5_metadataIsReplacedAndSurvivesReopen", "g5_configurationIsReplacedAndSurvivesReopen"));
    }

    @Test
    void droppedRecordsBreakG2() {
        assertBreaks(DropsLastRecordOfBatchKit.class, "broken-drops-last", Set.of(
                "g2_appendedRecordsReadBackByteIdentical", "g2_scanAcrossSegmentBoundaries",
                "g2_concurrentReadersSeeEveryReturnedAppend", "g2_randomOperationsMatchTheMemoryModel"));
    }

    @Test
    void readingTheNeighbourBreaksG2() {
        assertBreaks(ReadsOffByOneKit.class, "broken-off-by-one", Set.of(
                "g2_appendedRecordsReadBackByteIdentical", "g2_readOfAbsentSeqIsEmpty",
                "g2_recordsOfSize0And1AndLargeRoundTrip", "g2_concurrentReadersSeeEveryReturnedAppend"));
    }

    @Test
    void unboundedScanBreaksG2() {
        assertBreaks(ScanIgnoresUpperBoundKit.class, "broken-scan-bound", Set.of(
                "g2_scanReturnsContiguousRange", "g2_scanAcrossSegmentBoundaries"));
    }

    @Test
    void acceptedGapsBreakG9() {
        assertBreaks(AcceptsNonContiguousAppendKit.class, "broken-contiguity", Set.of(
                "g9_appendWithWrongFirstSeqIsRefusedAndStoresNothing",
                "g9_appendWithGapInsideBatchIsRefusedAndStoresNothing",
                "g6_truncatePrefixPastLastEmptiesStorageAndNextAppendMustBeAbove",
                "g2_truncateSuffixInTheMiddleThenAppendContinuesFromCut"));
    }

    @Test
    void prefixTruncationLostOnReopenBreaksG6() {
        assertBreaks(ForgetsPrefixTruncationKit.class, "broken-prefix", Set.of("g6_truncatePrefixSurvivesReopen"));
    }

    @Test
    void metadataLostOnReopenBreaksG5() {
        assertBreaks(LosesMetadataKit.class, "broken-meta", Set.of(
                "g5_metadataSurvivesReopen", "g5_metadataKeysOfEveryAllowedChar", "g5_metadataValueOf1MiB"));
    }

    /**
     * Runs the kit against a broken backend: each expected test fails, with a message that starts
     * with {@code [backend] G<n>:} for the guarantee in the test's name; some tests still pass (the
     * backend is broken in one place, not everywhere).
     */
    static void assertBreaks(Class<?> kit, String backend, Set<String> expectedFailures) {
        KitRun run = KitRun.of(kit);
        for (String test : expectedFailures) {
            assertTrue(run.failed.containsKey(test), kit.getSimpleName() + ": expected " + test + " to fail; " + run);
            Throwable t = run.failed.get(test);
            String guarantee = "G" + test.substring(1, test.indexOf('_'));
            String message = String.valueOf(t.getMessage());
            assertTrue(t instanceof AssertionError, kit.getSimpleName() + ": " + test
                    + " must fail by an assertion, not by " + t);
            assertTrue(message.startsWith("[" + backend + "] " + guarantee + ":"), kit.getSimpleName() + ": " + test
                    + " failed with a message that does not start with [" + backend + "] " + guarantee + ": " + message);
        }
        assertFalse(run.passed.isEmpty(), kit.getSimpleName() + ": a backend broken in one place must still pass other tests; " + run);
        for (Map.Entry<String, Throwable> e : run.failed.entrySet()) {
            assertTrue(e.getValue() instanceof AssertionError, kit.getSimpleName() + ": " + e.getKey()
                    + " must fail by an assertion that names the guarantee, not by " + e.getValue());
            assertTrue(String.valueOf(e.getValue().getMessage()).matches("(?s)\\[" + Pattern.quote(backend) + "\\] (G\\d+|API): .*"),
                    kit.getSimpleName() + ": " + e.getKey() + " failed with a message that does not name the backend and "
                    + "the guarantee: " + e.getValue().getMessage());
        }
        Set<String> skippable = LogStorageTck.class.isAssignableFrom(kit) ? Set.of()
                // memory is not DURABLE; a provider made by a factory method is neither registered with
                // ServiceLoader nor creatable in a child JVM
                : Set.of("g1_anotherProcessReadsWhatWasStored", "g7_secondOpenFromAnotherProcessIsRefused",
                        "api_backendSelectedByNameFromProperties");
        assertTrue(skippable.containsAll(run.skipped), kit.getSimpleName() + ": only " + skippable + " may be skipped; " + run);
    }
}
