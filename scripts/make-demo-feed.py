#!/usr/bin/env python3
"""Writes www/feed.json from the reference wire story in tests/data/sample (a byte-for-byte
copy of the project's ../shared/sample), plus demo items.

The story's text is copied byte for byte; only the runs of empty lines (page-layout
artefacts) are dropped, as its README.md says. Run it again if the sample changes.
"""
import json
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
sample = (root / "tests/data/sample/kangaba-attack-2017-06-18.txt").read_text(encoding="utf-8")
paragraphs = [p for p in re.split(r"\n\s*\n", sample.strip()) if p.strip()]
header, body, signature = paragraphs[0], paragraphs[1:-1], paragraphs[-1]
kicker, rest = header.split(" : ", 1)
title, byline = rest.split(" Rédigé par ", 1)
assert kicker == "URGENT" and signature == "Kassim Traoré, correspondant à Bamako", (kicker, signature)
assert byline == "Massene Diop le 18 Juin 2017 à 18:48 | Lu 376 fois", byline

feed = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Dépêche — démonstration",
    "home_page_url": "http://localhost:8080/",
    "feed_url": "http://localhost:8080/feed.json",
    "language": "fr",
    "items": [
        {
            "id": "kangaba-attack-2017-06-18",
            "url": "http://localhost:8080/articles/kangaba-attack-2017-06-18",
            "title": title,
            "summary": body[0],
            "content_text": "\n\n".join(body),
            "date_published": "2017-06-18T18:48:00Z",
            "authors": [{"name": "Massene Diop"}],
            "language": "fr",
            "_depeche": {
                "urgency": 1,
                "views": 376,
                "signature": signature,
                "dateline": "Bamako",
            },
        },
        {
            "id": "niamey-floods-2017-06-18",
            "url": "http://localhost:8080/articles/niamey-floods-2017-06-18",
            "title": "Flash floods cut the main road out of Niamey",
            "summary": "Heavy overnight rain flooded several districts of the Nigerien capital and cut the road to Tillabéri.",
            "content_text": "Heavy overnight rain flooded several districts of the Nigerien capital and cut the road to Tillabéri.\n\nCivil protection teams said about 300 households had been moved to schools on higher ground. No deaths had been reported by mid-morning.\n\nThe weather service expects more storms over the next 48 hours and advised drivers to avoid the river roads.",
            "date_published": "2017-06-18T09:15:00Z",
            "authors": [{"name": "Aïcha Moussa"}],
            "language": "en",
            "_depeche": {"urgency": 2, "views": 1204, "dateline": "Niamey", "signature": "Aïcha Moussa, Niamey correspondent"},
        },
        {
            "id": "dakar-port-2017-06-17",
            "url": "http://localhost:8080/articles/dakar-port-2017-06-17",
            "title": "Le port de Dakar inaugure un nouveau terminal à conteneurs",
            "summary": "Le nouveau quai doit doubler la capacité d’accueil du port d’ici à la fin de l’année.",
            "content_html": "<p>Le nouveau quai doit doubler la capacité d&rsquo;accueil du port d&rsquo;ici à la fin de l&rsquo;année.</p><p>Les autorités portuaires parlent d&rsquo;un <em>tournant</em> pour les échanges avec le Mali, dont une grande partie des importations transite par Dakar.</p><p>Lire aussi : <a href=\"https://example.org/ports-afrique-ouest\">les ports d&rsquo;Afrique de l&rsquo;Ouest en chiffres</a>.</p>",
            "date_published": "2017-06-17T14:30:00Z",
            "authors": [{"name": "Fatou Ndiaye"}, {"name": "Ibrahima Sarr"}],
            "language": "fr",
            "_depeche": {"urgency": 5, "views": 89, "dateline": "Dakar"},
        },
        {
            "id": "sahel-summit-2017-06-16",
            "url": "http://localhost:8080/articles/sahel-summit-2017-06-16",
            "title": "Sahel leaders agree to pool troops for a joint border force",
            "content_text": "Leaders of five Sahel countries agreed on Friday to create a joint force to patrol their shared borders.\n\nThe force is to be headquartered in Sévaré, in central Mali, and should reach its full strength within a year.\n\nFunding remains the main open question: the leaders asked their international partners for help with equipment and training.",
            "date_published": "2017-06-16T17:05:00Z",
            "authors": [{"name": "Paul Martin"}],
            "language": "en",
            "_depeche": {"urgency": 4, "views": 2310},
        },
        {
            "id": "bamako-curfew-2017-06-10",
            "url": "http://localhost:8080/articles/bamako-curfew-2017-06-10",
            "title": "Couvre-feu levé à Bamako",
            "summary": "Cette alerte a expiré et ne doit jamais être affichée.",
            "content_text": "Cette alerte a expiré et ne doit jamais être affichée.",
            "date_published": "2017-06-10T06:00:00Z",
            "authors": [{"name": "Massene Diop"}],
            "language": "fr",
            "_depeche": {"urgency": 1, "views": 5021, "expires": "2017-06-11T06:00:00Z"},
        },
    ],
}
out = root / "www/feed.json"
out.write_text(json.dumps(feed, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
print(f"wrote {out.relative_to(root)}: {len(feed['items'])} items")
