import { readdirSync, readFileSync } from "node:fs";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import { Job } from "kubernetes-models/batch/v1/Job";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap, type IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import { Namespace } from "kubernetes-models/v1/Namespace";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { type ISecret, Secret } from "kubernetes-models/v1/Secret";
import { type IService, Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { loadConfig } from "../../shared/config/load";

const DIR = new URL("../../infra/k8s/", import.meta.url);
const IMAGE = /^ghcr\.io\/routeiq\/routeiq:[\w.-]+$/;

/** The model class that validates each kind against the Kubernetes OpenAPI schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
};

interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly annotations?: Record<string, string> };
}

const parseManifests = (file: string): Manifest[] =>
  parseAllDocuments(readFileSync(new URL(file, DIR), "utf8")).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
    return doc.toJS() as Manifest;
  });

const kustomization = parseYaml(readFileSync(new URL("kustomization.yaml", DIR), "utf8")) as {
  resources: string[];
  namespace: string;
  secretGenerator?: unknown;
};
const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
/** What `kubectl apply -k infra/k8s` applies. */
const manifests: Manifest[] = kustomization.resources.flatMap(parseManifests);
/** The Secret every workload reads, which operators create themselves from this example. */
const exampleSecret = parseManifests("examples/secret.yaml")[0] as unknown as ISecret;
const all = <T>(kind: string): T[] => manifests.filter((m) => m.kind === kind) as unknown as T[];
const one = <T>(kind: string, name: string): T => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (found === undefined) throw new Error(`infra/k8s has no ${kind} "${name}"`);
  return found as unknown as T;
};

const gateway = one<IDeployment>("Deployment", "routeiq-gateway");
const podLabels = gateway.spec?.template.metadata?.labels ?? {};
const gatewayPod = gateway.spec?.template.spec as IPodSpec;
const gatewayContainer = gatewayPod.containers[0] as IContainer;
const envValue = (container: IContainer, name: string) => container.env?.find((e) => e.name === name)?.value;

/** Every workload's pod template: the Deployments and the Job. */
const podSpecs = (): [name: string, pod: IPodSpec, labels: Record<string, string>][] =>
  [...all<IDeployment>("Deployment"), ...all<IJob>("Job")].map((workload) => [
    workload.metadata?.name ?? "",
    workload.spec?.template.spec as IPodSpec,
    workload.spec?.template.metadata?.labels ?? {},
  ]);

const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels[key] === value);

describe("infra/k8s", () => {
  it("is valid against the Kubernetes schema, manifest by manifest", () => {
    expect(manifests.length).toBeGreaterThan(0);
    for (const manifest of [...manifests, exampleSecret as unknown as Manifest]) {
      const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
      expect(Model, `${manifest.apiVersion} ${manifest.kind} has no model in this test`).toBeDefined();
      expect(() => new (Model as NonNullable<typeof Model>)(manifest as never).validate()).not.toThrow();
    }
  });

  it("lists every manifest file in kustomization.yaml", () => {
    expect([...kustomization.resources].sort()).toEqual([...files].sort());
    expect(one<Manifest>("Namespace", kustomization.namespace)).toBeDefined();
  });

  it("never applies a Secret, so an apply cannot overwrite real credentials with the example's", () => {
    expect(all<ISecret>("Secret")).toEqual([]);
    expect(kustomization.secretGenerator).toBeUndefined();
    expect(kustomization.resources.some((file) => file.startsWith("examples"))).toBe(false);
    expect(exampleSecret.kind).toBe("Secret");
    expect(exampleSecret.metadata?.name).toBe("routeiq-secrets");
  });

  it("connects to PostgreSQL and Redis over verified TLS by default", () => {
    const databaseUrl = new URL(exampleSecret.stringData?.["database-url"] ?? "");
    expect(databaseUrl.protocol).toBe("postgresql:");
    expect(databaseUrl.searchParams.get("sslmode")).toBe("verify-full");
    const env = one<IConfigMap>("ConfigMap", "routeiq-env").data ?? {};
    expect(env.REDIS_TLS).toBe("true");
    // Nothing a workload sets turns either off again.
    for (const [name, pod] of podSpecs()) {
      for (const container of pod.containers) {
        for (const variable of container.env ?? []) {
          expect(`${variable.name}=${variable.value ?? ""}`, name).not.toMatch(
            /^REDIS_TLS=(false|0)$|^DATABASE_SSLMODE=(disable|allow|prefer|no-verify)$|^NODE_TLS_REJECT_UNAUTHORIZED=0$/,
          );
        }
      }
    }
  });

  it("probes the gateway on the spec's endpoints and port", () => {
    expect(gatewayContainer.ports).toContainEqual({ name: "http", containerPort: 4000 });
    expect(gatewayContainer.startupProbe?.httpGet).toEqual({ path: "/_health/live", port: 4000 });
    expect(gatewayContainer.startupProbe?.failureThreshold).toBe(30);
    expect(gatewayContainer.livenessProbe?.httpGet).toEqual({ path: "/_health/live", port: 4000 });
    expect(gatewayContainer.readinessProbe?.httpGet).toEqual({ path: "/_health/ready", port: 4000 });
    expect(gatewayContainer.resources).toEqual({
      requests: { memory: "512Mi", cpu: "500m" },
      limits: { memory: "2Gi", cpu: "2000m" },
    });
  });

  it("runs every workload non-root on a read-only root filesystem with /tmp writable", () => {
    for (const [name, pod] of podSpecs()) {
      expect(pod.securityContext, name).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        fsGroup: 1000,
        seccompProfile: { type: "RuntimeDefault" },
      });
      for (const container of pod.containers) {
        expect(container.image, name).toMatch(IMAGE);
        expect(container.securityContext, name).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
        });
        const mounts = container.volumeMounts ?? [];
        const tmp = mounts.find((m) => m.mountPath === "/tmp");
        expect(tmp, `${name} mounts /tmp`).toBeDefined();
        expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir, name).toBeDefined();
      }
    }
    const data = gatewayContainer.volumeMounts?.find((m) => m.mountPath === "/app/data");
    expect(gatewayPod.volumes?.find((v) => v.name === data?.name)?.emptyDir).toBeDefined();
  });

  it("leaves migrations to the Job, which runs the migrate bundle before rollout", () => {
    expect(envValue(gatewayContainer, "LITELLM_RUN_DB_MIGRATIONS")).toBe("false");
    const job = one<IJob>("Job", "routeiq-db-migrate");
    expect(job.spec?.template.spec?.containers[0]?.command).toEqual(["node", "dist/migrate-node.mjs"]);
    expect(job.spec?.template.spec?.restartPolicy).toBe("Never");
    expect(job.spec?.backoffLimit).toBeGreaterThan(0);
    expect(job.metadata?.annotations?.["helm.sh/hook"]).toBe("pre-install,pre-upgrade");
    expect(job.metadata?.annotations?.["helm.sh/hook-weight"]).toBe("-1");
  });

  it("runs the sync loop bundle in the sync worker", () => {
    const sync = one<IDeployment>("Deployment", "routeiq-config-sync");
    expect(sync.spec?.replicas).toBe(1);
    expect(sync.spec?.template.spec?.containers[0]?.command).toEqual(["node", "dist/sync-loop.mjs"]);
  });

  it("drains before it is killed, after endpoints have had time to update", () => {
    const drain = Number(envValue(gatewayContainer, "ROUTEIQ_DRAIN_TIMEOUT_SECONDS"));
    const preStop = gatewayContainer.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(preStop).toBeGreaterThan(0);
    expect(gatewayPod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + drain);
    const keys = (gatewayPod.topologySpreadConstraints ?? []).map((c) => c.topologyKey);
    expect(keys).toContain("topology.kubernetes.io/zone");
    for (const constraint of gatewayPod.topologySpreadConstraints ?? []) {
      expect(selects(constraint.labelSelector?.matchLabels, podLabels)).toBe(true);
    }
  });

  it("points the Service, HPA, PDB and NetworkPolicy at the gateway pods", () => {
    expect(selects(gateway.spec?.selector.matchLabels, podLabels)).toBe(true);

    const service = one<IService>("Service", "routeiq-gateway");
    expect(service.spec?.selector).toEqual(gateway.spec?.selector.matchLabels);
    expect(service.spec?.ports?.[0]).toMatchObject({ port: 4000, targetPort: "http" });

    const hpa = one<IHorizontalPodAutoscaler>("HorizontalPodAutoscaler", "routeiq-gateway");
    expect(hpa.spec?.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: gateway.metadata?.name,
    });
    expect(hpa.spec?.minReplicas).toBe(2);
    // The HPA owns the replica count; a count in the Deployment would reset it on every apply.
    expect(gateway.spec?.replicas).toBeUndefined();

    const pdb = one<IPodDisruptionBudget>("PodDisruptionBudget", "routeiq-gateway");
    expect(pdb.spec?.minAvailable).toBe(1);
    expect(selects(pdb.spec?.selector?.matchLabels, podLabels)).toBe(true);

    const ingress = all<INetworkPolicy>("NetworkPolicy").filter((p) =>
      p.spec?.policyTypes?.includes("Ingress"),
    );
    const forGateway = ingress.filter((p) => selects(p.spec?.podSelector.matchLabels, podLabels));
    const allowed = forGateway.flatMap((p) => p.spec?.ingress ?? []);
    expect(allowed.length).toBeGreaterThan(0);
    for (const rule of allowed) expect(rule.ports).toEqual([{ protocol: "TCP", port: 4000 }]);
  });

  it("lets every RouteIQ pod reach only DNS, PostgreSQL, Redis and HTTPS", () => {
    const egress = all<INetworkPolicy>("NetworkPolicy").filter((p) =>
      p.spec?.policyTypes?.includes("Egress"),
    );
    for (const [name, , labels] of podSpecs()) {
      const policies = egress.filter((p) => selects(p.spec?.podSelector.matchLabels, labels));
      expect(policies.length, name).toBeGreaterThan(0);
      const ports = policies.flatMap((p) => p.spec?.egress ?? []).flatMap((rule) => rule.ports ?? []);
      expect(new Set(ports.map((p) => p.port)), name).toEqual(new Set([53, 443, 5432, 6379]));
    }
  });

  it("refers only to ConfigMaps defined here and the example Secret's keys, and the config it mounts is valid", () => {
    const configMaps = new Map(all<IConfigMap>("ConfigMap").map((c) => [c.metadata?.name, c]));
    const secrets = new Map([[exampleSecret.metadata?.name, exampleSecret]]);
    for (const [name, pod] of podSpecs()) {
      for (const container of pod.containers) {
        for (const source of container.envFrom ?? []) {
          if (source.configMapRef) expect(configMaps.has(source.configMapRef.name), name).toBe(true);
          if (source.secretRef) expect(secrets.has(source.secretRef.name), name).toBe(true);
        }
        for (const variable of container.env ?? []) {
          const secretRef = variable.valueFrom?.secretKeyRef;
          if (secretRef) {
            expect(secrets.get(secretRef.name)?.stringData, `${name} ${variable.name}`).toHaveProperty(
              secretRef.key,
            );
          }
          const configRef = variable.valueFrom?.configMapKeyRef;
          if (configRef) expect(configMaps.get(configRef.name)?.data, name).toHaveProperty(configRef.key);
        }
      }
      for (const volume of pod.volumes ?? []) {
        if (volume.configMap) expect(configMaps.has(volume.configMap.name), name).toBe(true);
        if (volume.secret) expect(secrets.has(volume.secret.secretName), name).toBe(true);
      }
    }
    const mount = gatewayContainer.volumeMounts?.find((m) => m.name === "config");
    const path = envValue(gatewayContainer, "LITELLM_CONFIG_PATH") ?? "";
    expect(path.startsWith(`${mount?.mountPath}/`)).toBe(true);
    const text = one<IConfigMap>("ConfigMap", "routeiq-config").data?.[path.slice(path.lastIndexOf("/") + 1)];
    const { config } = loadConfig(text ?? "", { LITELLM_MASTER_KEY: "sk-test" }, path);
    expect(config.masterKey).toBe("sk-test");
  });
});
