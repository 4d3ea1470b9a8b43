from httpx2 import AsyncClient


async def test_an_author_added_to_a_book_lists_the_book(client: AsyncClient) -> None:
    author = (
        await client.post(
            "/authors", json={"first_name": "Ursula", "last_name": "Le Guin", "age": 88}
        )
    ).json()
    book = await client.post(
        "/books",
        json={
            "title": "The Dispossessed",
            "isbn": "0-06-051275-X",
            "pages": 387,
            "price": 12000,
            "publication_year": 1974,
            "author_ids": [author["id"]],
        },
    )
    assert book.status_code == 201, book.text
    listed = (await client.get(f"/authors/{author['id']}")).json()
    assert listed["books"] == [{"id": book.json()["id"], "title": "The Dispossessed"}]
