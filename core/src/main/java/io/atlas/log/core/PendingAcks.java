package io.atlas.log.core;

import io.atlas.log.PersistentLogException;
import io.atlas.log.SeqNo;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Futures of {@code storeDecisionAsync} waiting for the sync that covers them, in write order.
 * Entries are taken under the monitor and completed outside it (and outside every lock of the log),
 * so a callback that calls back into the log cannot deadlock it.
 */
final class PendingAcks {

    /** A future waiting until the durable write ticket reaches {@code ticket}. */
    private record Pending(long ticket, SeqNo seq, CompletableFuture<SeqNo> future) {
    }

    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private PersistentLogException failure;
    private volatile int size;

    /**
     * Registers a future; called under the log's write lock, before the ticket is published to syncs.
     * After a failure the future fails at once.
     */
    void add(long ticket, SeqNo seq, CompletableFuture<SeqNo> future) {
        PersistentLogException failed;
        synchronized (this) {
            failed = failure;
            if (failed == null) {
                queue.addLast(new Pending(ticket, seq, future));
                size = queue.size();
                return;
            }
        }
        future.completeExceptionally(failed);
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Remembers the failure; {@link #settle} then fails every future not yet durable. */
    synchronized void fail(PersistentLogException e) {
        if (failure == null) {
            failure = e;
        }
    }

    /**
     * Completes the futures whose ticket is {@code <= durableTicket} and, after a failure, fails the
     * rest. Must be called without holding the log's locks. When it returns, every such future is done,
     * even if another thread's settle took them first: each caller completes them itself (completing a
     * done future does nothing), and they leave the queue only once done. So a {@code sync()} that
     * returns has completed the futures it covered, also while the background sync thread is settling.
     */
    void settle(long durableTicket) {
        if (size == 0) {
            return;
        }
        List<Pending> done = new ArrayList<>();
        List<Pending> failed = new ArrayList<>();
        PersistentLogException cause;
        synchronized (this) {
            cause = failure;
            for (Pending p : queue) {
                if (p.ticket() <= durableTicket) {
                    done.add(p);
                } else if (cause != null) {
                    failed.add(p);
                } else {
                    break;
                }
            }
        }
        // outside the lock: completing runs the futures' dependent actions
        for (Pending p : done) {
            p.future().complete(p.seq());
        }
        for (Pending p : failed) {
            p.future().completeExceptionally(cause);
        }
        synchronized (this) {
            while (!queue.isEmpty() && queue.peekFirst().future().isDone()) {
                queue.pollFirst();
            }
            size = queue.size();
        }
    }
}
