package io.atlas.log.tck.crash;

import io.atlas.log.SyncPolicy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the verifier knows about one crashed log: the state last verified (the baseline, absent
 * for a new log) and every event the child processes reported since, in the order the parent read
 * them. Lives are the child processes that wrote to the log, each with its sync policy.
 * Thread-safe: a reader thread appends while the test thread waits.
 */
final class CrashHistory {

    /** One event, numbered in arrival order, with the life (child process) that reported it. */
    record Entry(int index, int life, CrashEvent event) {
    }

    private final Optional<LogSnapshot> baseline;
    private final List<Entry> entries = new ArrayList<>();
    private final Map<Integer, SyncPolicy> policies = new HashMap<>();
    private int life;

    CrashHistory(Optional<LogSnapshot> baseline) {
        this.baseline = baseline;
    }

    Optional<LogSnapshot> baseline() {
        return baseline;
    }

    /** Starts the events of a new child process that writes under {@code policy}. */
    synchronized void startLife(int number, SyncPolicy policy) {
        if (policies.containsKey(number)) {
            throw new IllegalArgumentException("life " + number + " was already started in this history");
        }
        life = number;
        policies.put(number, policy);
    }

    synchronized void add(CrashEvent event) {
        entries.add(new Entry(entries.size(), life, event));
        notifyAll();
    }

    synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    synchronized SyncPolicy policy(int lifeNumber) {
        SyncPolicy p = policies.get(lifeNumber);
        if (p == null) {
            throw new IllegalArgumentException("no life " + lifeNumber + " in this history; lives: " + policies.keySet());
        }
        return p;
    }

    /** Events of {@code type} reported by the current life. */
    synchronized int count(CrashEvent.Type type, CrashEvent.Op op) {
        int n = 0;
        for (Entry e : entries) {
            if (e.life() == life && e.event().type() == type && (op == null || e.event().op() == op)) {
                n++;
            }
        }
        return n;
    }

    synchronized List<CrashEvent> eventsOfCurrentLife(CrashEvent.Type type) {
        List<CrashEvent> out = new ArrayList<>();
        for (Entry e : entries) {
            if (e.life() == life && e.event().type() == type) {
                out.add(e.event());
            }
        }
        return out;
    }

    /** Events of the current life so far. */
    synchronized int lifeSize() {
        int n = 0;
        for (Entry e : entries) {
            if (e.life() == life) {
                n++;
            }
        }
        return n;
    }
}
