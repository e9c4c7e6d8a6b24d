"""The demo inventory the simulator serves (docs/api.md, "Demo inventory"), and its constants."""

from __future__ import annotations

from typing import Any

DEMO_APPLICATION_KEY = "demo-application-key"
DEMO_APPLICATION_SECRET = "demo-application-secret"
DEMO_CONSUMER_KEY = "demo-consumer-key"

#: Simulated seconds a replication takes (the guides speak of "hours").
REPLICATION_SECONDS = 4 * 3600
#: Simulated seconds a datastore removal takes.
REMOVAL_SECONDS = 600
#: A filer whose replication ends in `error`, to show the failure path.
FAILING_FILER_ID = 1240
#: Simulated seconds a batch restore takes.
RESTORE_SECONDS = 1800
#: A repository whose restore OVHcloud cancels after the call: the target's datastores lack space.
NO_SPACE_REPOSITORY = "veeam-rbx-big"
#: Seconds a signed request's timestamp may differ from the simulator's clock.
MAX_CLOCK_SKEW = 180


def filer_record(
    filer_id: int, size_tb: int, used_gb: float, vms: int, prefix: str = "ssd"
) -> dict[str, Any]:
    size_gb = size_tb * 1024
    return {
        "filerId": filer_id,
        "name": f"{prefix}-{filer_id:06d}",
        "fullProfile": f"{size_tb}t-{prefix}",
        "profile": f"{size_tb}t-{prefix}",
        "size": {"unit": "TB", "value": size_tb},
        "spaceUsed": used_gb,
        "spaceFree": round(size_gb - used_gb, 1),
        "spaceProvisionned": used_gb,
        "vmTotal": vms,
        "state": "delivered",
        "connectionState": "online",
        "activeNode": "master",
        "master": f"nfs-{filer_id}.sbg.ovh.net",
        "billingType": "monthly",
        "isManagedByOvh": False,
    }


def repository(repository_id: int, name: str, zone: str | None, last: str | None) -> dict[str, Any]:
    """A `dedicatedCloud.BackupRepository`: replicated to ``zone``, last successfully at ``last``."""
    return {
        "repositoryId": repository_id,
        "repositoryName": name,
        "replication": "enabled" if zone else "disabled",
        "replicationZone": zone,
        "syncStatus": "ok" if last else "sync-required" if zone else "unknown",
        "lastSuccessfulReplicationDate": last,
    }


def backup(state: str, zone: str | None = None) -> dict[str, Any]:
    """A datacenter's `dedicatedCloud.Backup` (Veeam Managed Backup)."""
    return {
        "state": state,
        "backupOffer": "advanced" if state == "enabled" else None,
        "replicationZone": zone,
    }


def demo_backups() -> dict[str, dict[str, Any]]:
    """Veeam Managed Backup of the demo PCCs: repositories, and each datacenter's backup (a datacenter
    not listed has never subscribed: the API answers 404)."""
    return {
        "pcc-192-0-2-15": {
            "repositories": {3001: repository(3001, "veeam-sbg-01", "rbx", "2021-03-09T23:10:00+00:00")},
            "datacenters": {1337: backup("enabled", "rbx")},
        },
        "pcc-192-0-2-50": {
            "repositories": {
                3101: repository(3101, "veeam-rbx-01", "gra", "2021-03-10T01:00:00+00:00"),
                3102: repository(3102, "veeam-rbx-02", "gra", None),
                3103: repository(3103, NO_SPACE_REPOSITORY, "gra", "2021-03-10T01:30:00+00:00"),
                3104: repository(3104, "veeam-rbx-local", None, None),
            },
            "datacenters": {1515: backup("enabled", "gra"), 1516: backup("disabled")},
        },
    }


def demo_inventory() -> dict[str, dict[str, Any]]:
    """PCCs by service name. ``hds``/``pcidss`` None means never subscribed: the API answers 404."""

    def pcc(zone: str, description: str, hds: str | None, pcidss: str | None, dcs: dict[int, Any]) -> Any:
        return {
            "location": zone,
            "description": description,
            "hds": hds,
            "pcidss": pcidss,
            "datacenters": dcs,
        }

    def dc(name: str, commercial: str, *filers: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "commercialName": commercial, "filers": {f["filerId"]: f for f in filers}}

    return {
        "pcc-192-0-2-15": pcc(
            "sbg1a",
            "Strasbourg production (HDS)",
            "enabled",
            "disabled",
            {
                1337: dc(
                    "sbg-prod",
                    "SDDC-HDS",
                    filer_record(1234, 3, 2150.5, 12),
                    filer_record(1235, 1, 610.0, 4),
                    filer_record(1236, 2, 120.0, 1, prefix="nfs"),
                ),
                1338: dc(
                    "sbg-prod-2", "SDDC-HDS", filer_record(1240, 1, 800.0, 6), filer_record(1241, 1, 75.0, 2)
                ),
            },
        ),
        "pcc-192-0-2-16": pcc(
            "sbg1a",
            "Strasbourg payments (PCI-DSS)",
            "disabled",
            "enabled",
            {
                1400: dc("sbg-pay", "SDDC-PCIDSS", filer_record(1401, 2, 1500.0, 9)),
            },
        ),
        "pcc-192-0-2-17": pcc(
            "sbg1a",
            "Strasbourg lab",
            None,
            None,
            {
                1500: dc("sbg-lab", "SDDC", filer_record(1501, 1, 300.0, 3), filer_record(1502, 1, 10.0, 0)),
            },
        ),
        "pcc-192-0-2-50": pcc(
            "rbx2a",
            "Roubaix recovery (HDS)",
            "enabled",
            "disabled",
            {
                1515: dc("rbx-rec", "SDDC-HDS", filer_record(5001, 2, 100.0, 1)),
                1516: dc("rbx-rec-2", "SDDC-HDS"),
            },
        ),
        "pcc-192-0-2-51": pcc(
            "rbx2b",
            "Roubaix general",
            None,
            None,
            {
                1520: dc("rbx-gen", "SDDC"),
            },
        ),
        "pcc-192-0-2-60": pcc(
            "lim1c",
            "Frankfurt payments (PCI-DSS)",
            "disabled",
            "enabled",
            {
                1600: dc("lim-pay", "SDDC-PCIDSS"),
            },
        ),
        "pcc-192-0-2-70": pcc(
            "eri1c",
            "London general",
            "disabled",
            "disabled",
            {
                1700: dc("eri-gen", "SDDC"),
            },
        ),
    }


def large_pcc(
    filers: int, *, location: str = "sbg1a", datacenters: int = 1, first_id: int = 20000
) -> dict[str, Any]:
    """A PCC of ``filers`` datastores spread over ``datacenters`` (ids 2001…), for demos, tests and
    benchmarks of large accounts: `pcc-bot simulator --filers N` adds one as pcc-192-0-2-99."""
    per_dc: dict[int, dict[int, Any]] = {2001 + d: {} for d in range(datacenters)}
    for n in range(filers):
        filer_id = first_id + n
        per_dc[2001 + n % datacenters][filer_id] = filer_record(filer_id, 1 + n % 4, 10.0 + n, n % 13)
    return {
        "location": location,
        "description": f"Large account ({filers} datastores)",
        "hds": None,
        "pcidss": None,
        "datacenters": {
            dc: {"name": f"large-{dc}", "commercialName": "SDDC", "filers": found}
            for dc, found in per_dc.items()
        },
    }
