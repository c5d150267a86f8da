#pragma once
// Real-time scheduling for the threads that keep the frame clock and send on it.

#include <sched.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace loa {

/// Puts the calling thread (only) under SCHED_FIFO at `priority`; threads it starts later go back
/// to normal scheduling. Returns an empty string, or why it could not (the thread then keeps
/// its normal priority).
inline std::string makeThisThreadRealtime(int priority) {
    const sched_param param{.sched_priority = priority};
    if (::sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) == 0) return {};
    return std::strerror(errno);
}

}  // namespace loa
