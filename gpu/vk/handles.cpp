#include "gpu/vk/handles.h"

#include <mutex>
#include <vector>

namespace sf::gpu {

namespace {
// Never destroyed (a function-local heap object): abandoned objects must stay
// reachable through static destruction too, while driver threads may still run.
struct Quarantine {
    std::mutex mutex;
    std::vector<const void*> kept;
};
Quarantine& quarantine() {
    static Quarantine* q = new Quarantine();
    return *q;
}
}  // namespace

void abandon(const void* p) {
    Quarantine& q = quarantine();
    std::lock_guard lock(q.mutex);
    q.kept.push_back(p);
}

uint64_t abandoned_count() {
    Quarantine& q = quarantine();
    std::lock_guard lock(q.mutex);
    return q.kept.size();
}

}  // namespace sf::gpu
