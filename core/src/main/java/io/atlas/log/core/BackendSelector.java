package io.atlas.log.core;

import io.atlas.log.BackendNotFoundException;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.spi.Capability;
import io.atlas.log.spi.StorageProvider;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Finds storage providers with {@link ServiceLoader} and applies the selection rules of SPEC section 2.
 * Scanning and choosing are separate so the rules can be tested over plain lists.
 */
final class BackendSelector {

    private static final System.Logger LOG = System.getLogger(BackendSelector.class.getName());

    /** The artifacts that bring a durable backend, for the "none found" message. */
    static final String BACKEND_ARTIFACTS = "io.atlas:atlas-log-file, io.atlas:atlas-log-lmdb or io.atlas:atlas-log-xodus";

    /** Stops iteration of a ServiceLoader that keeps failing on the same entry. */
    private static final int MAX_FAILURES = 100;

    private BackendSelector() {
    }

    /** A provider that loaded, and where its class came from. */
    record Found(StorageProvider provider, String name, Set<Capability> capabilities, String location) {

        static Found of(StorageProvider provider) {
            return new Found(provider, provider.name(), Set.copyOf(provider.capabilities()), locationOf(provider.getClass()));
        }

        boolean durable() {
            return capabilities.contains(Capability.DURABLE);
        }

        String className() {
            return provider.getClass().getName();
        }

        /** {@code file (atlas-log-file-0.1.0.jar)}: the jar's file name, or the whole folder path. */
        String describe() {
            return name + " (" + shortLocation(location) + ")";
        }

        BackendInfo info() {
            return new BackendInfo(name, className(), location, capabilities);
        }
    }

    /** A provider that failed to load or to describe itself. */
    record Failure(String description, Throwable cause) {
        /** The description, the error and its causes: a broken constructor's message is in the cause. */
        String describe() {
            StringBuilder b = new StringBuilder(description).append(": ").append(cause);
            for (Throwable c = cause.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
                b.append(", caused by ").append(c);
            }
            return b.toString();
        }
    }

    /** Everything {@link ServiceLoader} produced, in class path order. */
    record Scan(List<Found> found, List<Failure> failures) {
        Scan {
            found = List.copyOf(found);
            failures = List.copyOf(failures);
        }

        String foundList() {
            return found.isEmpty() ? "none" : found.stream().map(Found::describe).collect(Collectors.joining(", "));
        }

        String failureList() {
            return failures.stream().map(Failure::describe).collect(Collectors.joining("; "));
        }

        Throwable firstFailureCause() {
            return failures.isEmpty() ? null : failures.get(0).cause();
        }
    }

    /**
     * Loads every provider visible to {@code loader}. A provider that throws while loading is kept as
     * a {@link Failure} with its cause instead of ending the scan.
     */
    static Scan scan(ClassLoader loader) {
        List<Found> found = new ArrayList<>();
        List<Failure> failures = new ArrayList<>();
        Iterator<StorageProvider> it = ServiceLoader.load(StorageProvider.class, loader).iterator();
        while (failures.size() < MAX_FAILURES) {
            StorageProvider provider;
            try {
                if (!it.hasNext()) {
                    break;
                }
                provider = it.next();
            } catch (ServiceConfigurationError e) {
                failures.add(new Failure("a storage backend failed to load", e));
                continue;
            }
            describe(provider, found, failures);
        }
        return new Scan(found, failures);
    }

    /** The context class loader, or core's own when a thread has none. */
    static ClassLoader defaultLoader() {
        ClassLoader l = Thread.currentThread().getContextClassLoader();
        return l != null ? l : BackendSelector.class.getClassLoader();
    }

    private static void describe(StorageProvider provider, List<Found> found, List<Failure> failures) {
        String where = provider.getClass().getName() + " (" + shortLocation(locationOf(provider.getClass())) + ")";
        String name;
        Set<Capability> caps;
        try {
            name = provider.name();
            caps = provider.capabilities();
        } catch (RuntimeException | LinkageError e) {
            failures.add(new Failure("storage backend " + where + " failed to report its name and capabilities", e));
            return;
        }
        if (name == null || !PersistentLogConfig.BACKEND_NAME.matcher(name).matches()) {
            failures.add(new Failure("storage backend " + where + " has an invalid name",
                    new IllegalStateException("name() returned '" + name
                            + "'; expected 1-32 characters of [a-z0-9-]")));
            return;
        }
        if (caps == null) {
            failures.add(new Failure("storage backend " + where + " has invalid capabilities",
                    new IllegalStateException("capabilities() returned null")));
            return;
        }
        found.add(new Found(provider, name, Set.copyOf(caps), locationOf(provider.getClass())));
    }

    /**
     * Chooses the provider (SPEC section 2, rules 1-5).
     *
     * @param name   the backend to use, if one was named
     * @param source where the name came from, for messages ("atlas.log.backend", "the manifest ...")
     * @param scan   what the class path holds
     * @throws BackendNotFoundException naming what was found, where it came from, and what to do
     */
    static Found select(Optional<String> name, String source, Scan scan) {
        if (name.isPresent()) {
            return selectNamed(name.get(), source, scan);
        }
        List<Found> durable = scan.found().stream().filter(Found::durable).toList();
        List<Found> duplicated = duplicates(durable);
        if (!duplicated.isEmpty()) {
            throw sameName(duplicated);
        }
        if (!scan.failures().isEmpty()) {
            throw new BackendNotFoundException("cannot choose a storage backend: " + scan.failures().size()
                    + " failed to load, and one of them may be the one to use: " + scan.failureList()
                    + "; found: " + scan.foundList()
                    + "; fix or remove the broken one, or name the backend with " + PersistentLogConfig.KEY_BACKEND,
                    scan.firstFailureCause());
        }
        if (durable.isEmpty()) {
            String others = scan.found().isEmpty() ? ""
                    : " (found only " + scan.foundList() + ", which is not durable and is used only when named)";
            throw new BackendNotFoundException("no durable storage backend on the class path" + others
                    + "; add one of the artifacts " + BACKEND_ARTIFACTS + ", or name a backend with "
                    + PersistentLogConfig.KEY_BACKEND);
        }
        if (durable.size() > 1) {
            throw new BackendNotFoundException("several durable storage backends on the class path: "
                    + durable.stream().map(Found::describe).collect(Collectors.joining(", "))
                    + "; choose one with " + PersistentLogConfig.KEY_BACKEND
                    + " (PersistentLogConfig.Builder.backend(name))");
        }
        warnAboutDuplicates(scan);
        return durable.get(0);
    }

    private static Found selectNamed(String name, String source, Scan scan) {
        List<Found> matching = scan.found().stream().filter(f -> f.name().equals(name)).toList();
        if (matching.size() > 1) {
            throw sameName(matching);
        }
        if (matching.isEmpty()) {
            String failed = scan.failures().isEmpty() ? "" : "; failed to load: " + scan.failureList();
            throw new BackendNotFoundException("no storage backend named '" + name + "' on the class path (named by "
                    + source + "); found: " + scan.foundList() + failed
                    + "; add the jar of backend '" + name + "' to the class path or fix the name",
                    scan.firstFailureCause());
        }
        for (Failure f : scan.failures()) {
            LOG.log(System.Logger.Level.WARNING, "ignoring a storage backend that failed to load (backend '"
                    + name + "' was named and found): " + f.describe(), f.cause());
        }
        warnAboutDuplicates(scan);
        return matching.get(0);
    }

    private static void warnAboutDuplicates(Scan scan) {
        List<Found> dup = duplicates(scan.found());
        if (!dup.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, sameName(dup).getMessage());
        }
    }

    /** Every provider whose name another one also has, grouped by name. */
    private static List<Found> duplicates(List<Found> found) {
        Map<String, List<Found>> byName = new LinkedHashMap<>();
        for (Found f : found) {
            byName.computeIfAbsent(f.name(), k -> new ArrayList<>()).add(f);
        }
        return byName.values().stream().filter(l -> l.size() > 1).flatMap(List::stream).toList();
    }

    private static BackendNotFoundException sameName(List<Found> duplicated) {
        String name = duplicated.get(0).name();
        List<Found> same = duplicated.stream().filter(f -> f.name().equals(name)).toList();
        return new BackendNotFoundException("several storage backends are named '" + name + "': "
                + same.stream().map(f -> f.className() + " (" + f.location() + ")").collect(Collectors.joining(" and "))
                + "; remove all but one of them from the class path");
    }

    /** Where {@code type} was loaded from: a jar or folder path, or "unknown location". */
    static String locationOf(Class<?> type) {
        CodeSource cs = type.getProtectionDomain() == null ? null : type.getProtectionDomain().getCodeSource();
        URL url = cs == null ? null : cs.getLocation();
        if (url == null) {
            return "unknown location";
        }
        try {
            return Path.of(url.toURI()).toString();
        } catch (URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            return url.toString();
        }
    }

    /** A jar's file name (the version tells enough), or a folder's full path (a build output). */
    static String shortLocation(String location) {
        if (location.endsWith(".jar")) {
            int slash = Math.max(location.lastIndexOf('/'), location.lastIndexOf(java.io.File.separatorChar));
            return location.substring(slash + 1);
        }
        return location;
    }
}
