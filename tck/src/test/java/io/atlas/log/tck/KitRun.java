package io.atlas.log.tck;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/** The outcome of running one kit class with the JUnit Platform launcher, by test method name. */
final class KitRun {

    /** Failed tests and their first failure. */
    final Map<String, Throwable> failed = new TreeMap<>();
    final Set<String> passed = new TreeSet<>();
    final Set<String> skipped = new TreeSet<>();

    private KitRun() {
    }

    static KitRun of(Class<?> kitClass) {
        KitRun run = new KitRun();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(kitClass))
                .build();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                name(id).ifPresentOrElse(run.skipped::add, () -> { });
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest()) {
                    result.getThrowable().ifPresent(t -> run.failed.putIfAbsent(id.getDisplayName(), t));
                    return;
                }
                String name = name(id).orElse(id.getDisplayName());
                switch (result.getStatus()) {
                    case SUCCESSFUL -> run.passed.add(name);
                    case ABORTED -> run.skipped.add(name);
                    case FAILED -> run.failed.putIfAbsent(name, result.getThrowable().orElse(new AssertionError("no cause")));
                }
            }
        });
        run.passed.removeAll(run.failed.keySet());
        return run;
    }

    private static java.util.Optional<String> name(TestIdentifier id) {
        return id.getSource().filter(MethodSource.class::isInstance).map(s -> ((MethodSource) s).getMethodName());
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("passed=" + passed + ", skipped=" + skipped + ", failed:");
        failed.forEach((k, v) -> b.append("\n  ").append(k).append(": ").append(v));
        return b.toString();
    }
}
