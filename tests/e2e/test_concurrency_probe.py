import asyncio

from httpx2 import AsyncClient


async def test_32_authors_at_once(client: AsyncClient) -> None:
    authors = [
        (
            await client.post("/authors", json={"first_name": f"A{i}", "last_name": "X", "age": 30})
        ).json()["id"]
        for i in range(32)
    ]
    book = (
        await client.post(
            "/books",
            json={
                "title": "T",
                "isbn": "9780306406157",
                "pages": 1,
                "price": 0,
                "publication_year": 2000,
            },
        )
    ).json()
    responses = await asyncio.gather(
        *(client.post(f"/books/{book['id']}/authors/{a}") for a in authors)
    )
    assert [r.status_code for r in responses] == [200] * 32, [
        r.text for r in responses if r.status_code != 200
    ][:3]
    final = (await client.get(f"/books/{book['id']}")).json()
    assert len(final["authors"]) == 32
    assert final["version"] == 33
    for a in authors:
        assert (await client.get(f"/authors/{a}")).json()["books"] == [
            {"id": book["id"], "title": "T"}
        ]
