"""DockerSpawner with one internal network per student (HUB_SPAWNER=docker, compose).

On one shared network every student's container could open every other's server (seen in
`make compose-test`). Here each student's container is alone on its own internal network,
`HUB_DOCKER_NETWORK-<user>`, which the hub and the API join under their service names
(`hub`, `api`): the student reaches those two and nothing else, not PostgreSQL, Redis or
another student. Needs the `deploy` extra (dockerspawner) and the hub inside compose (its
containers are found by the compose project's labels).
"""

from __future__ import annotations

import socket
from typing import Any

from docker.errors import APIError, NotFound
from dockerspawner import DockerSpawner
from traitlets import List, Unicode

NETWORK_LABEL = "org.ainative.student-network"


class StudentNetworkSpawner(DockerSpawner):  # type: ignore[misc]  # no stubs
    network_prefix = Unicode(
        "ainative_students", config=True, help="Students' networks are PREFIX-<user>."
    ).tag(config=True)
    peer_services = List(
        Unicode(),
        ["hub", "api"],
        help="Compose services joined to every student's network, aliased by their name.",
    ).tag(config=True)

    @property
    def student_network(self) -> str:
        return f"{self.network_prefix}-{self.escaped_name}"

    async def _peers(self) -> list[tuple[str, str]]:
        me = await self.docker("inspect_container", socket.gethostname())
        project = (me["Config"]["Labels"] or {}).get("com.docker.compose.project", "")
        peers = []
        for service in self.peer_services:
            found = await self.docker(
                "containers",
                filters={
                    "label": [
                        f"com.docker.compose.project={project}",
                        f"com.docker.compose.service={service}",
                    ]
                },
            )
            peers += [(c["Id"], service) for c in found]
        return peers

    async def start(self) -> Any:
        name = self.student_network
        self.network_name = name
        if not [n for n in await self.docker("networks", names=[name]) if n["Name"] == name]:
            self.log.info("Creating the network %s of %s", name, self.user.name)
            await self.docker(
                "create_network",
                name,
                driver="bridge",
                internal=True,
                labels={NETWORK_LABEL: self.user.name},
                check_duplicate=True,
            )
        for container, service in await self._peers():
            try:
                await self.docker(
                    "connect_container_to_network", container, name, aliases=[service]
                )
            except APIError as e:  # already joined (a restarted hub, a second start)
                if "already exists" not in str(e):
                    raise
        return await super().start()

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        name = self.student_network
        try:
            for container, _ in await self._peers():
                try:
                    await self.docker("disconnect_container_from_network", container, name)
                except APIError:
                    pass
            await self.docker("remove_network", name)
        except NotFound:
            pass
        except APIError as e:  # the network is not the hub's to lose a stop over
            self.log.warning("Could not remove the network %s: %s", name, e)
