// Networking sections: the OpenStack network of the cluster, the
// Kubernetes pod/service ranges and the API server load balancer.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/render/sections.h"

namespace capi_bridge::render {
namespace {

using nlohmann::json;

// The chart's kubeNetwork defaults, used for overlap checks.
constexpr absl::string_view kChartPodCidr = "172.16.0.0/13";
constexpr absl::string_view kChartServiceCidr = "172.24.0.0/13";

bool IsNameserver(absl::string_view text) {
  if (ParseIpv4(text)) return true;
  // IPv6: hex digits and colons with at least two colons.
  int colons = 0;
  for (char c : text) {
    if (c == ':') {
      ++colons;
    } else if (!absl::ascii_isxdigit(c)) {
      return false;
    }
  }
  return colons >= 2 && text.size() <= 39;
}

// An id resolved by the shim, else the spec's value when it already is a
// UUID; reports a name that was not resolved.
std::string ResolvedId(RenderContext* ctx, const std::string& resolved,
                       const std::string& given, absl::string_view facts_field,
                       absl::string_view given_field) {
  if (!resolved.empty()) {
    if (!IsUuid(resolved)) {
      ctx->problems.Add(facts_field, resolved, "a Neutron UUID");
      return "";
    }
    return resolved;
  }
  if (given.empty()) return "";
  if (IsUuid(given)) return given;
  ctx->problems.Missing(facts_field,
                        absl::StrCat("the Neutron id of ", given_field, " ",
                                     QuoteForMessage(given),
                                     " (the shim resolves names to ids)"));
  return "";
}

}  // namespace

void RenderNetworking(RenderContext* ctx) {
  const auto& spec = ctx->spec;
  const auto& facts = spec.facts();
  json& net = ctx->values["clusterNetworking"];

  const std::string& given_external = spec.template_().external_network_id();
  std::string external =
      ResolvedId(ctx, facts.external_network_id(), given_external,
                 "facts.external_network_id", "template.external_network_id");
  if (!external.empty()) net["externalNetworkId"] = external;

  const std::string& fixed_network = !spec.cluster().fixed_network().empty()
                                         ? spec.cluster().fixed_network()
                                         : spec.template_().fixed_network();
  const std::string& fixed_subnet = !spec.cluster().fixed_subnet().empty()
                                        ? spec.cluster().fixed_subnet()
                                        : spec.template_().fixed_subnet();
  std::string network_id =
      ResolvedId(ctx, facts.fixed_network_id(), fixed_network,
                 "facts.fixed_network_id", "fixed_network");
  std::string subnet_id = ResolvedId(ctx, facts.fixed_subnet_id(), fixed_subnet,
                                     "facts.fixed_subnet_id", "fixed_subnet");
  json& internal = net["internalNetwork"];
  internal["networkFilter"] =
      network_id.empty() ? json(nullptr) : json{{"id", network_id}};
  internal["subnetFilter"] =
      subnet_id.empty() ? json(nullptr) : json{{"id", subnet_id}};
  // Without a fixed network or subnet, CAPO creates one from nodeCidr.
  bool creates_network = network_id.empty() && subnet_id.empty() &&
                         fixed_network.empty() && fixed_subnet.empty();

  std::optional<Ipv4Cidr> node_cidr =
      ctx->reader.IsSet("fixed_subnet_cidr")
          ? ctx->reader.Cidr("fixed_subnet_cidr")
          : ParseCidr("10.0.0.0/24");
  if (node_cidr) {
    internal["nodeCidr"] = node_cidr->ToString();
    if (creates_network) ctx->node_cidr = node_cidr;
  }

  // dns_nameserver: the chart moved the key under internalNetwork at 0.11.0
  // (0.11.0-0.15.x read only the nested one), so emit the one it reads.
  const std::string& dns = spec.template_().dns_nameserver();
  std::vector<std::string> nameservers = SplitCsv(dns);
  for (const std::string& ns : nameservers) {
    if (!IsNameserver(ns)) {
      ctx->problems.Add("template.dns_nameserver", ns,
                        "a comma-separated list of IPv4 or IPv6 addresses");
    }
  }
  if (!nameservers.empty()) {
    if (ctx->ChartAtLeast("0.11.0")) {
      internal["dnsNameservers"] = nameservers;
    } else {
      net["dnsNameservers"] = nameservers;
    }
  }

  // Kubernetes ranges. calico_ipv4pool and cilium_ipv4pool are aliases.
  LabelReader& r = ctx->reader;
  std::optional<Ipv4Cidr> pods = r.Cidr("calico_ipv4pool");
  std::optional<Ipv4Cidr> cilium = r.Cidr("cilium_ipv4pool");
  if (pods && cilium && pods->ToString() != cilium->ToString()) {
    r.Reject("cilium_ipv4pool",
             absl::StrCat("unset or equal to calico_ipv4pool (",
                          pods->ToString(), "): both name the pod network"));
  }
  if (!pods) pods = cilium;
  std::optional<Ipv4Cidr> services = r.Cidr("service_cluster_ip_range");
  json& kube = ctx->values["kubeNetwork"];
  if (pods) kube["pods"]["cidrBlocks"] = json::array({pods->ToString()});
  if (services) {
    kube["services"]["cidrBlocks"] = json::array({services->ToString()});
  }
  if (r.IsSet("dns_cluster_domain")) {
    std::string domain = r.Text("dns_cluster_domain", "");
    if (!IsDnsName(domain)) {
      r.Reject("dns_cluster_domain", "a DNS domain, e.g. cluster.local");
    } else {
      kube["serviceDomain"] = domain;
    }
  }
  if (kube.is_null()) ctx->values.erase("kubeNetwork");

  // Node, pod and service ranges must not overlap.
  struct Range {
    std::string name;
    Ipv4Cidr cidr;
  };
  std::vector<Range> ranges;
  if (ctx->node_cidr) ranges.push_back({"fixed_subnet_cidr", *ctx->node_cidr});
  ranges.push_back({pods ? "calico_ipv4pool" : "the chart's pod network",
                    pods ? *pods : *ParseCidr(kChartPodCidr)});
  ranges.push_back(
      {services ? "service_cluster_ip_range" : "the chart's service network",
       services ? *services : *ParseCidr(kChartServiceCidr)});
  for (size_t i = 0; i < ranges.size(); ++i) {
    for (size_t j = i + 1; j < ranges.size(); ++j) {
      if (!ranges[i].cidr.Overlaps(ranges[j].cidr)) continue;
      const Range& label_side =
          absl::StartsWith(ranges[j].name, "the ") ? ranges[i] : ranges[j];
      const Range& other = &label_side == &ranges[j] ? ranges[i] : ranges[j];
      ctx->problems.Add(
          absl::StrCat("labels.", label_side.name), label_side.cidr.ToString(),
          absl::StrCat("a range that does not overlap ", other.name, " (",
                       other.cidr.ToString(), ")"));
    }
  }
}

void RenderApiServer(RenderContext* ctx) {
  LabelReader& r = ctx->reader;
  json& api = ctx->values["apiServer"];
  bool floating_ip = r.Bool("master_lb_floating_ip_enabled", true);
  api["associateFloatingIP"] = floating_ip;
  api["enableLoadBalancer"] = true;  // as the reference: LB-less upgrades fail
  std::string provider = r.Name("octavia_provider", "amphora");
  if (provider.empty()) provider = "amphora";
  api["loadBalancerProvider"] = provider;

  if (r.IsSet("api_server_floating_ip")) {
    std::string ip = r.Text("api_server_floating_ip", "");
    if (!ip.empty()) {
      if (!ParseIpv4(ip)) {
        r.Reject("api_server_floating_ip",
                 "an IPv4 address, e.g. 203.0.113.10");
      } else if (!floating_ip) {
        r.Reject("api_server_floating_ip",
                 "unset while master_lb_floating_ip_enabled is false");
      } else {
        api["floatingIP"] = ip;
      }
    }
  }

  uint32_t port = ctx->spec.template_().apiserver_port();
  if (port > 65535) {
    ctx->problems.Add("template.apiserver_port", std::to_string(port),
                      "a TCP port from 1 to 65535, or 0 for the default 6443");
  } else if (port != 0) {
    api["port"] = port;
  }

  if (r.IsSet("api_master_lb_allowed_cidrs")) {
    auto valid = [](absl::string_view item) {
      return ParseCidr(item, /*allow_bare_address=*/true).has_value();
    };
    std::vector<std::string> items =
        r.Csv("api_master_lb_allowed_cidrs", +valid,
              "IPv4 networks in CIDR form (a bare address means /32)");
    std::vector<std::string> cidrs;
    bool covers_nodes = false;
    for (const std::string& item : items) {
      Ipv4Cidr cidr = *ParseCidr(item, true);
      cidrs.push_back(cidr.ToString());
      if (ctx->node_cidr && cidr.Contains(*ctx->node_cidr)) covers_nodes = true;
    }
    if (!cidrs.empty()) {
      if (ctx->node_cidr && !covers_nodes) {
        r.Reject("api_master_lb_allowed_cidrs",
                 absl::StrCat("a list that includes the node network ",
                              ctx->node_cidr->ToString(),
                              " (fixed_subnet_cidr); without it the cluster "
                              "cannot initialise"));
      }
      // Renamed at chart 0.24.0; the old key is ignored by newer charts,
      // which would leave the API open (reference defect 1).
      api[ctx->ChartAtLeast("0.24.0") ? "allowedCIDRs" : "allowedCidrs"] =
          cidrs;
    }
  }

  if (r.IsSet("pod_security_standard")) {
    std::string level = r.Enum("pod_security_standard", "",
                               {"", "privileged", "baseline", "restricted"});
    if (!level.empty()) {
      if (!ctx->ChartAtLeast("0.11.0")) {
        ctx->NeedsChart("pod_security_standard", "0.11.0");
      } else {
        api["admissionConfiguration"]["PodSecurity"] = {
            {"apiVersion", "pod-security.admission.config.k8s.io/v1"},
            {"kind", "PodSecurityConfiguration"},
            {"defaults",
             {{"enforce", level},
              {"enforce-version", "latest"},
              {"audit", level},
              {"audit-version", "latest"},
              {"warn", level},
              {"warn-version", "latest"}}},
            {"exemptions",
             {{"usernames", json::array()},
              {"runtimeClasses", json::array()},
              {"namespaces", json::array({"kube-system"})}}}};
      }
    }
  }
}

}  // namespace capi_bridge::render
