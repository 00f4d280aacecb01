#pragma once
// The hand-off between threads that both the engine and its bindings use: items any thread posts, taken by one
// consumer in a single swap (the lock is held for a pointer swap), and an eventfd written at most once until
// the consumer answers it, so a burst of posts costs one wake. A reactor's command inbox (core::Inbox) is one
// HandoffQueue behind one Doorbell; the Python bridge's dispatch queue is one queue per reactor behind a
// single doorbell, so the loop is woken once for all of them.

#include <atomic>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace engine {

/// The wake half: an eventfd and the flag that keeps it to one write until the consumer answers.
class Doorbell {
  public:
    /// Creates the eventfd; throws std::system_error if the kernel refuses. `nonblocking` for a consumer that
    /// reads it with read() after poll (read_counter()); a reactor reads its own through io_uring, which answers
    /// -EAGAIN for O_NONBLOCK files instead of waiting.
    explicit Doorbell(bool nonblocking);
    ~Doorbell();  // closes the eventfd (pending_, an atomic, already forbids copies)

    int fd() const noexcept { return fd_; }
    /// Single-threaded mode (the consumer runs on the ringing thread's event loop): the first ring() after an
    /// answer calls `wake` on the ringing thread instead of writing the eventfd, which nobody waits on then.
    /// Before any ring().
    void ring_locally(std::function<void()> wake) { local_wake_ = std::move(wake); }
    /// Any thread: wakes the consumer, unless it was rung already since its last answer().
    void ring() noexcept;
    /// It rang since the last answer().
    bool rung() const noexcept { return pending_.load(std::memory_order_acquire); }
    /// The consumer, before it takes what was posted: a ring after this wakes it again (a spare wake, never a
    /// lost one). Returns whether it had rung.
    bool answer() noexcept { return pending_.exchange(false, std::memory_order_acq_rel); }
    /// Resets the eventfd's counter (nonblocking doorbells; nothing happens when it was not written). A
    /// consumer reads it before answer(): a ring in between leaves the eventfd readable, a spare wake.
    void read_counter() noexcept;

  private:
    int fd_ = -1;
    std::atomic<bool> pending_{false};
    std::function<void()> local_wake_;
};

/// The queue half: items any thread posts, moved to the one consumer in a swap.
template <typename T> class HandoffQueue {
  public:
    /// Any thread.
    void post(T &&item) {
        std::lock_guard lock(mutex_);
        items_.push_back(std::move(item));
    }
    /// Single-threaded mode: the consumer's own thread is the only poster, so no lock.
    void post_unlocked(T &&item) { items_.push_back(std::move(item)); }
    /// Single-threaded mode: something waits to be taken.
    bool empty_unlocked() const noexcept { return items_.empty(); }

    /// The consumer: moves everything posted to the end of `out`. An empty `out` trades vectors with the queue,
    /// so both keep the capacity they grew.
    void take(std::vector<T> &out) {
        std::lock_guard lock(mutex_);
        take_unlocked(out);
    }
    /// Single-threaded mode: take() without the lock.
    void take_unlocked(std::vector<T> &out) {
        if (items_.empty()) return;
        if (out.empty()) {
            out.swap(items_);
            return;
        }
        for (T &item : items_) out.push_back(std::move(item));
        items_.clear();
    }

  private:
    std::mutex mutex_;
    std::vector<T> items_;
};

} // namespace engine
