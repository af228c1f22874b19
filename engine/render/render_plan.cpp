#include "engine/render/render_plan.h"

#include <functional>
#include <map>

namespace sf {

std::vector<size_t> bus_processing_order(const Session& session) {
    // Depth-first on "feeds": a bus is emitted after every bus that feeds it.
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < session.buses.size(); ++i) index[session.buses[i].name] = i;
    std::vector<std::vector<size_t>> feeders(session.buses.size());
    for (size_t i = 0; i < session.buses.size(); ++i) {
        auto it = index.find(session.buses[i].output);
        if (it != index.end()) feeders[it->second].push_back(i);
    }
    std::vector<int> state(session.buses.size(), 0);  // 0 new, 1 visiting, 2 done
    std::vector<size_t> order;
    std::function<void(size_t)> visit = [&](size_t b) {
        if (state[b]) return;  // the parser rejects cycles, so 1 never recurs here
        state[b] = 1;
        for (size_t f : feeders[b]) visit(f);
        state[b] = 2;
        order.push_back(b);
    };
    for (size_t i = 0; i < session.buses.size(); ++i) visit(i);
    return order;
}

}  // namespace sf
